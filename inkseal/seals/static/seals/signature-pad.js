/* 手写签名 canvas: mouse, touch and pen through pointer events; strokes smoothed with quadratic
 * curves through the midpoints of the sampled points; one ink colour; undo and clear; export as a
 * transparent PNG cropped tight to the ink. No pressure: every stroke has the same width. */
(function () {
  "use strict";

  var INK = { black: "#1A1A1A", red: "#E60012", blue: "#103CB4" };

  function SignaturePad(canvas, options) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
    this.color = (options && options.color) || "black";
    this.lineWidth = (options && options.lineWidth) || 4.5; // CSS pixels
    this.onChange = (options && options.onChange) || function () {};
    this.resize();
    var pad = this;
    canvas.style.touchAction = "none"; // the page must not scroll while writing
    canvas.addEventListener("pointerdown", function (e) { pad._down(e); });
    canvas.addEventListener("pointermove", function (e) { pad._move(e); });
    canvas.addEventListener("pointerup", function (e) { pad._up(e); });
    canvas.addEventListener("pointercancel", function (e) { pad._up(e); });
    window.addEventListener("resize", function () { pad.resize(); });
  }

  SignaturePad.prototype.resize = function () {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var rect = this.canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    this.ratio = ratio;
    this.canvas.width = Math.round(rect.width * ratio);
    this.canvas.height = Math.round(rect.height * ratio);
    this.redraw();
  };

  SignaturePad.prototype._point = function (e) {
    var rect = this.canvas.getBoundingClientRect();
    return { x: (e.clientX - rect.left) * this.ratio, y: (e.clientY - rect.top) * this.ratio };
  };

  SignaturePad.prototype._down = function (e) {
    if (e.button !== undefined && e.button > 0) return; // left button, touch or pen tip only
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.current = { points: [this._point(e)] };
    this.strokes.push(this.current);
    this._dot(this.current.points[0]);
    this.onChange(this);
  };

  SignaturePad.prototype._move = function (e) {
    if (!this.current) return;
    e.preventDefault();
    var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    if (!events.length) events = [e];
    for (var i = 0; i < events.length; i++) {
      var p = this._point(events[i]);
      var points = this.current.points;
      var last = points[points.length - 1];
      if (Math.abs(p.x - last.x) + Math.abs(p.y - last.y) < 1) continue;
      points.push(p);
      this._segment(points, points.length - 1);
    }
  };

  SignaturePad.prototype._up = function () {
    if (!this.current) return;
    var points = this.current.points;
    if (points.length > 1) this._finish(points);
    this.current = null;
    this.onChange(this);
  };

  SignaturePad.prototype._style = function () {
    var ctx = this.ctx;
    ctx.strokeStyle = ctx.fillStyle = INK[this.color] || INK.black;
    ctx.lineWidth = this.lineWidth * (this.ratio || 1);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
  };

  function mid(a, b) { return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }; }

  SignaturePad.prototype._dot = function (p) {
    this._style();
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, this.ctx.lineWidth / 2, 0, Math.PI * 2);
    this.ctx.fill();
  };

  // The curve from the midpoint before point i-1 to the midpoint after it, bending through i-1.
  SignaturePad.prototype._segment = function (points, i) {
    if (i < 1) return;
    this._style();
    var ctx = this.ctx;
    var start = i === 1 ? points[0] : mid(points[i - 2], points[i - 1]);
    var end = mid(points[i - 1], points[i]);
    ctx.beginPath();
    ctx.moveTo(start.x, start.y);
    ctx.quadraticCurveTo(points[i - 1].x, points[i - 1].y, end.x, end.y);
    ctx.stroke();
  };

  SignaturePad.prototype._finish = function (points) {
    var n = points.length;
    var start = n === 2 ? points[0] : mid(points[n - 2], points[n - 1]);
    this._style();
    this.ctx.beginPath();
    this.ctx.moveTo(start.x, start.y);
    this.ctx.lineTo(points[n - 1].x, points[n - 1].y);
    this.ctx.stroke();
  };

  SignaturePad.prototype.redraw = function () {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (var s = 0; s < this.strokes.length; s++) {
      var points = this.strokes[s].points;
      this._dot(points[0]);
      for (var i = 1; i < points.length; i++) this._segment(points, i);
      if (points.length > 1 && this.strokes[s] !== this.current) this._finish(points);
    }
  };

  SignaturePad.prototype.setColor = function (color) { this.color = color; this.redraw(); };
  SignaturePad.prototype.undo = function () { this.strokes.pop(); this.redraw(); this.onChange(this); };
  SignaturePad.prototype.clear = function () { this.strokes = []; this.redraw(); this.onChange(this); };
  SignaturePad.prototype.isEmpty = function () { return this.strokes.length === 0; };

  // The ink's bounding box (plus half a line and a small margin), in canvas pixels.
  SignaturePad.prototype.bounds = function () {
    var box = null;
    this.strokes.forEach(function (stroke) {
      stroke.points.forEach(function (p) {
        if (!box) box = { left: p.x, top: p.y, right: p.x, bottom: p.y };
        box.left = Math.min(box.left, p.x); box.right = Math.max(box.right, p.x);
        box.top = Math.min(box.top, p.y); box.bottom = Math.max(box.bottom, p.y);
      });
    });
    if (!box) return null;
    var pad = this.lineWidth * this.ratio + 4;
    var left = Math.max(0, Math.floor(box.left - pad)), top = Math.max(0, Math.floor(box.top - pad));
    var right = Math.min(this.canvas.width, Math.ceil(box.right + pad));
    var bottom = Math.min(this.canvas.height, Math.ceil(box.bottom + pad));
    return { x: left, y: top, width: right - left, height: bottom - top };
  };

  // Calls back with a PNG Blob of the signature on a transparent background, cropped to the ink.
  SignaturePad.prototype.toBlob = function (callback) {
    var box = this.bounds();
    if (!box) { callback(null); return; }
    var out = document.createElement("canvas");
    out.width = box.width;
    out.height = box.height;
    out.getContext("2d").drawImage(this.canvas, box.x, box.y, box.width, box.height, 0, 0, box.width, box.height);
    out.toBlob(callback, "image/png");
  };

  window.SignaturePad = SignaturePad;
})();
