/* 印章管理 and 印章详情: tooltips and the state help popover; a row's 作废 button preselects its
 * seal in the confirmation dialog. */
(function () {
  "use strict";
  if (!window.bootstrap) return;
  document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) { new bootstrap.Tooltip(el); });
  document.querySelectorAll('[data-bs-toggle="popover"]').forEach(function (el) { new bootstrap.Popover(el); });
  var modal = document.getElementById("void-modal");
  if (!modal) return;
  modal.addEventListener("show.bs.modal", function (event) {
    var id = event.relatedTarget && event.relatedTarget.dataset.seal;
    if (!id) return;
    var radio = modal.querySelector('input[name="seal"][value="' + id + '"]');
    if (radio) radio.checked = true;
  });
})();
