(function () {
  const root = document.getElementById("flow-confirm");
  if (!root) return;
  const token = root.dataset.token;
  const t = JSON.parse(document.getElementById("i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const api = (path, body) => fetch(`/api/v1/flow-confirm/${token}${path}`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
  }).then(async (r) => ({ok: r.ok, data: await r.json()}));
  const showError = (data) => { $("error").textContent = data.message || data.detail || "error"; $("error").classList.remove("d-none"); };
  const method = () => document.querySelector("input[name=method]:checked").value;
  document.querySelectorAll("input[name=method]").forEach((el) => el.addEventListener("change", () => {
    $("sms-row").classList.toggle("d-none", method() !== "sms");
    $("pin-row").classList.toggle("d-none", method() !== "pin");
  }));
  $("send-code").addEventListener("click", async () => {
    $("send-code").disabled = true; $("error").classList.add("d-none");
    const {ok, data} = await api("/code", {});
    if (!ok) { showError(data); $("send-code").disabled = false; return; }
    $("sent-to").textContent = `${t.sent} ${data.sent_to}`;
    window.setTimeout(() => { $("send-code").disabled = false; $("send-code").textContent = t.resend; }, 60000);
  });
  $("confirm-button").addEventListener("click", async () => {
    $("error").classList.add("d-none");
    const body = method() === "sms" ? {method: "sms", code: $("code").value.trim()} : {method: "pin", pin: $("pin").value};
    $("confirm-button").disabled = true;
    const {ok, data} = await api("", body);
    if (!ok) { showError(data); $("confirm-button").disabled = false; return; }
    if (data.status === "signed") { $("done").classList.remove("d-none"); $("confirm-button").classList.add("d-none"); }
    else showError({message: data.reason || data.status});
  });
  $("refuse-button").addEventListener("click", async () => {
    $("error").classList.add("d-none");
    const {ok, data} = await api("/refuse", {reason: $("refuse-reason").value});
    if (!ok) { showError(data); return; }
    $("refused").classList.remove("d-none"); $("confirm-button").classList.add("d-none");
  });
})();
