// The phone page of 人脸认证: consent, front-camera preview, a 2.5 s MediaRecorder clip (or the
// system camera through <input type=file capture=user>), upload, and the result.
(() => {
  "use strict";
  const root = document.getElementById("face-h5");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const text = (key) => root.dataset[key] || "";
  const RECORD_MS = 2500;
  const maxBytes = Number(root.dataset.maxBytes);
  let stream = null;

  const status = (message, kind = "") => {
    const el = $("h5-status");
    el.textContent = message;
    el.className = "text-center small " + kind;
  };

  const showResult = (succeeded, message, final) => {
    $("result").hidden = false;
    $("result-title").textContent = succeeded ? message : "";
    $("result-title").className = "h5 " + (succeeded ? "text-success" : "text-danger");
    $("result-message").textContent = succeeded ? "" : message;
    $("result-hint").textContent = succeeded ? text("msgBack") : (final ? text("msgDoneElsewhere") : text("msgRetry"));
    if (final) {
      $("record-step").hidden = true;
      if (stream) stream.getTracks().forEach((track) => track.stop());
    }
  };

  const upload = async (blob, filename) => {
    if (blob.size > maxBytes) { status(text("msgTooLarge"), "text-danger"); return; }
    $("record").disabled = true;
    status(text("msgUploading"), "text-primary");
    const body = new FormData();
    body.append("video", blob, filename);
    body.append("consent", "agree");
    let response, data;
    try {
      response = await fetch(root.dataset.uploadUrl, {
        method: "POST", body, headers: {"X-CSRFToken": root.dataset.csrf, "Accept": "application/json"},
      });
      data = await response.json();
    } catch (error) {
      status(text("msgNetwork"), "text-danger");
      $("record").disabled = !stream;
      return;
    }
    status("");
    // 400/413/415: the upload was refused before the link was spent — record again here.
    const retryable = [400, 413, 415].includes(response.status);
    showResult(Boolean(data.succeeded), data.message, !retryable);
    $("record").disabled = !(retryable && stream);
  };

  const mimeType = () => {
    const candidates = ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm", "video/mp4"];
    return candidates.find((type) => window.MediaRecorder && MediaRecorder.isTypeSupported(type)) || "";
  };

  const record = () => {
    const type = mimeType();
    const recorder = new MediaRecorder(stream, type ? {mimeType: type} : undefined);
    const chunks = [];
    recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
    recorder.onstop = () => {
      $("countdown").hidden = true;
      const recorded = recorder.mimeType || type || "video/webm";
      upload(new Blob(chunks, {type: recorded}), recorded.includes("mp4") ? "face.mp4" : "face.webm");
    };
    $("result").hidden = true;
    $("record").disabled = true;
    status(text("msgRecording"), "text-primary");
    let left = Math.ceil(RECORD_MS / 1000);
    $("countdown").textContent = left;
    $("countdown").hidden = false;
    const timer = setInterval(() => { left -= 1; $("countdown").textContent = Math.max(left, 1); }, 1000);
    recorder.start();
    setTimeout(() => { clearInterval(timer); recorder.stop(); }, RECORD_MS);
  };

  const startCamera = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      status(text("msgCameraError"), "text-danger");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: {facingMode: "user", width: {ideal: 640}, height: {ideal: 480}}, audio: false,
      });
      $("preview").srcObject = stream;
      $("record").disabled = false;
    } catch (error) {
      status(text("msgCameraError"), "text-danger");
    }
  };

  $("agree").addEventListener("click", () => {
    $("consent-step").hidden = true;
    $("record-step").hidden = false;
    startCamera();
  });
  $("record").addEventListener("click", record);
  $("file-video").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) upload(file, file.name || "face.mp4");
  });
})();
