(function () {
  const root = document.getElementById("confirm");
  if (!root) return;
  const token = root.dataset.token;

  // a page preview refused while the server's PDF parsers are busy (503 pdf_parser_busy,
  // Retry-After 5 s) is asked for again, three times at most
  document.querySelectorAll("img[data-busy-retry]").forEach((img) => {
    let tries = 0;
    const retry = () => {
      if (tries >= 3) return;
      tries += 1;
      const url = new URL(img.getAttribute("src"), window.location.href);
      url.searchParams.set("try", String(tries));
      window.setTimeout(() => { img.src = url.href; }, 5000);
    };
    img.addEventListener("error", retry);
    if (img.getAttribute("loading") !== "lazy" && img.complete && img.naturalWidth === 0) retry();
  });
  const t = JSON.parse(document.getElementById("i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const api = (path, body) => fetch(`/api/v1/confirm/${token}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
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
    let left = 60;
    const timer = setInterval(() => {
      left -= 1; $("send-code").textContent = `${t.resend} (${left})`;
      if (left <= 0) { clearInterval(timer); $("send-code").disabled = false; $("send-code").textContent = t.resend; }
    }, 1000);
  });
  const render = (data) => {
    const total = data.documents.length;
    const done = data.documents.filter((d) => d.status === "completed" || d.status === "failed").length;
    $("progress").querySelector(".progress-bar").style.width = `${total ? (100 * done) / total : 0}%`;
    data.documents.forEach((d) => {
      const badge = document.querySelector(`.document[data-n="${d.n}"] .doc-status`);
      if (!badge) return;
      badge.textContent = d.status === "completed" ? t.signed : d.status === "failed" ? `${t.failed}：${d.error || ""}` : t.signing;
      badge.className = `badge doc-status text-bg-${d.status === "completed" ? "success" : d.status === "failed" ? "danger" : "warning"}`;
    });
  };
  $("confirm-button").addEventListener("click", async () => {
    $("error").classList.add("d-none");
    const body = method() === "sms" ? {method: "sms", code: $("code").value.trim()} : {method: "pin", pin: $("pin").value};
    $("confirm-button").disabled = true;
    $("progress").classList.remove("d-none");
    const poll = setInterval(async () => { const r = await api("/progress"); if (r.ok) render(r.data); }, 700);
    const {ok, data} = await api("", body);
    clearInterval(poll);
    if (!ok) { showError(data); $("confirm-button").disabled = false; $("progress").classList.add("d-none"); return; }
    render(data);
    if (data.status === "completed") { $("done").classList.remove("d-none"); $("confirm-button").classList.add("d-none"); }
    else if (data.failure) showError(data.failure);
  });
})();
