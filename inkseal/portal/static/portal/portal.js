// Page behaviour wired by data attributes, so that templates need no inline script or handler
// (the Content-Security-Policy forbids both).
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  // <form data-confirm="确定…？">: ask before submitting
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  // <form data-submit-once>: one click, one post (the form also carries an idempotency key)
  if (form.hasAttribute("data-submit-once")) {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
  }
});

document.addEventListener("change", (event) => {
  const field = event.target;
  // <select data-autosubmit>: submit the form on change
  if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
  // <select data-hide-when="value" data-hide-target="id">: hide the target while value is chosen
  if (field.dataset && field.dataset.hideTarget) {
    document.getElementById(field.dataset.hideTarget).hidden = field.value === field.dataset.hideWhen;
  }
});

// Ask for an SMS code at `url`, show the answer in `status`, count down 60 s on `button`.
async function sendCode(button, url, status, statusClass, body) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { "X-CSRFToken": button.dataset.csrf, Accept: "application/json" },
  });
  const data = await response.json();
  status.textContent = data.message;
  status.className = statusClass + " " + (response.ok ? "text-success" : "text-danger");
  if (!response.ok) return;
  const label = button.textContent;
  let left = 60;
  button.disabled = true;
  const timer = setInterval(() => {
    button.textContent = `${--left}s`;
    if (left <= 0) {
      clearInterval(timer);
      button.disabled = false;
      button.textContent = label;
    }
  }, 1000);
}

// <button data-send-code="url" data-csrf="…" data-status="id" [data-phone="input id"]
//         [data-extra="input id:field name,…"]>: a code to the phone typed in the form
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-send-code]");
  if (!button) return;
  const body = new FormData();
  if (button.dataset.phone) body.append("phone", document.getElementById(button.dataset.phone).value);
  for (const pair of (button.dataset.extra || "").split(",").filter(Boolean)) {
    const [id, name] = pair.split(":");
    const input = document.getElementById(id);
    if (input) body.append(name, input.value);
  }
  const status = document.getElementById(button.dataset.status);
  sendCode(button, button.dataset.sendCode, status, button.dataset.statusClass || "small mt-1", body);
});

// <button data-step-up-send="url" data-csrf="…"> inside a [data-step-up] box with a [data-step-up-status]:
// the step-up (or link / authorisation) code to the person's own phone, which the server knows
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-step-up-send]");
  if (!button) return;
  const status = button.closest("[data-step-up]").querySelector("[data-step-up-status]");
  sendCode(button, button.dataset.stepUpSend, status, "small mt-1", undefined);
});

document.addEventListener("DOMContentLoaded", () => {
  // <div class="modal" data-show-once="key">: shown once per browser session
  for (const modal of document.querySelectorAll(".modal[data-show-once]")) {
    const key = modal.dataset.showOnce;
    if (window.bootstrap && !sessionStorage.getItem(key)) {
      sessionStorage.setItem(key, "1");
      new bootstrap.Modal(modal).show();
    }
  }
});
