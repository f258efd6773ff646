/* 新增印章: show the options of the chosen type and method, keep the live preview in step with
 * them (GET /api/v1/seals/preview), and hand the drawn signature to the form as a PNG file. */
(function () {
  "use strict";

  var form = document.getElementById("new-seal-form");
  if (!form) return;
  var ROUND = ["official", "contract", "finance"];
  var preview = document.getElementById("seal-preview");
  var previewError = document.getElementById("preview-error");
  var previewUrl = null;
  var timer = null;
  var requestNo = 0;
  var pad = null;

  function value(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) return checked.value;
    var field = form.querySelector('[name="' + name + '"]:not([type=radio]):not([type=checkbox])');
    return field ? field.value : "";
  }
  function checked(name) {
    var box = form.querySelector('input[name="' + name + '"]');
    return !!(box && box.checked);
  }
  function show(element, visible) { if (element) element.hidden = !visible; }
  function mode() {
    var kind = value("kind");
    if (kind === "handwriting") return "handwriting";
    return value("method") === "upload" ? "upload" : "template";
  }

  function renderKind() {
    var kind = value("kind");
    if (kind === "name") return value("style") === "strip" ? "name_strip" : "name_square";
    return kind;
  }

  function update() {
    var kind = value("kind"), current = mode();
    show(document.getElementById("method-row"), kind !== "handwriting");
    show(document.getElementById("template-options"), current === "template");
    show(document.getElementById("upload-options"), current === "upload");
    show(document.getElementById("handwriting-options"), current === "handwriting");
    show(document.getElementById("color-row"), current !== "handwriting");
    show(document.getElementById("preview-column"), current !== "handwriting");
    var options = document.getElementById("options-column");
    options.classList.toggle("col-lg-7", current !== "handwriting");
    options.classList.toggle("col-lg-10", current === "handwriting");
    show(document.getElementById("preview-note"), current === "template");
    show(document.getElementById("upload-note"), current === "upload");
    form.querySelectorAll(".only-name").forEach(function (el) { show(el, kind === "name"); });
    form.querySelectorAll(".only-round").forEach(function (el) { show(el, ROUND.indexOf(kind) >= 0); });
    var lower = document.getElementById("lower-text");
    if (lower) lower.disabled = !checked("with_lower_text");
    if (current === "handwriting" && pad) pad.resize();
    show(document.getElementById("preview-empty"), false);
    if (current === "template") schedulePreview();
    if (current === "upload") showUpload();
  }

  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(loadPreview, 200);
  }

  function loadPreview() {
    var params = new URLSearchParams({
      kind: renderKind(),
      color: value("color") || "red",
      border: value("border") || "single",
    });
    if (ROUND.indexOf(value("kind")) >= 0 && checked("with_lower_text") && value("lower_text").trim()) {
      params.set("lower_text", value("lower_text").trim());
    }
    if (checked("texture")) params.set("texture", "1");
    var mine = ++requestNo;
    preview.classList.add("loading");
    fetch(form.dataset.previewUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) return response.blob();
        return response.json().then(function (body) { throw new Error(body.message || response.statusText); });
      })
      .then(function (blob) {
        if (mine !== requestNo) return;
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = URL.createObjectURL(blob);
        preview.src = previewUrl;
        preview.dataset.kind = params.get("kind");
        preview.dataset.query = params.toString();
        previewError.textContent = "";
      })
      .catch(function (error) {
        if (mine === requestNo) previewError.textContent = error.message;
      })
      .finally(function () { if (mine === requestNo) preview.classList.remove("loading"); });
  }

  function showUpload() {
    var input = document.getElementById("seal-upload");
    var file = input && input.files && input.files[0];
    if (previewUrl) { URL.revokeObjectURL(previewUrl); previewUrl = null; }
    previewError.textContent = "";
    show(document.getElementById("preview-empty"), !file);
    if (!file) { preview.removeAttribute("src"); return; }
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
  }

  form.addEventListener("change", function (e) {
    if (e.target.name === "ink" && pad) { pad.setColor(e.target.value); return; }
    update();
  });
  form.addEventListener("input", function (e) {
    if (e.target.name === "lower_text") schedulePreview();
  });

  var canvas = document.getElementById("signature-canvas");
  var hint = document.getElementById("signature-hint");
  var signatureError = document.getElementById("signature-error");
  if (canvas && window.SignaturePad) {
    pad = new window.SignaturePad(canvas, {
      color: value("ink") || "black",
      onChange: function (p) { show(hint, p.isEmpty()); signatureError.textContent = ""; },
    });
    document.getElementById("signature-undo").addEventListener("click", function () { pad.undo(); });
    document.getElementById("signature-clear").addEventListener("click", function () { pad.clear(); });
  }

  form.addEventListener("submit", function (e) {
    if (mode() !== "handwriting" || !pad) return;
    e.preventDefault();
    if (pad.isEmpty()) { signatureError.textContent = canvas.dataset.emptyMessage || hint.textContent; return; }
    pad.toBlob(function (blob) {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "signature.png", { type: "image/png" }));
      document.getElementById("signature-file").files = transfer.files;
      document.getElementById("save-seal").disabled = true;
      form.submit();
    });
  });

  update();
})();
