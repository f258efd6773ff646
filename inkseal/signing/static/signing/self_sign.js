// 自助签署: drag seals (true size) from the palette onto the page previews with pointer events;
// placed seals move and can be removed. 下一步 sends the centres in PDF points on the displayed
// page (origin bottom-left), converted with each page's size in points.
(function () {
  const root = document.getElementById("self-sign");
  if (!root) return;
  const t = JSON.parse(document.getElementById("i18n").textContent);
  const MM = 72 / 25.4;
  const sheets = Array.from(document.querySelectorAll(".sheet"));
  const placed = []; // {el, sheet, type, fx, fy} with fx, fy the centre in fractions of the page

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

  const sizeOn = (sheet, seal) => {
    // the seal's true size as a fraction of the page
    const w = parseFloat(sheet.dataset.widthPt), h = parseFloat(sheet.dataset.heightPt);
    return {fw: (seal.widthMm * MM) / w, fh: (seal.heightMm * MM) / h};
  };
  const imageOf = (sheet) => sheet.querySelector("img");
  const sheetAt = (x, y) => sheets.find((s) => {
    const r = imageOf(s).getBoundingClientRect();
    return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
  });
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

  const sync = () => {
    const data = placed.map((p) => {
      const w = parseFloat(p.sheet.dataset.widthPt), h = parseFloat(p.sheet.dataset.heightPt);
      return {
        seal_type: p.seal.type,
        page: parseInt(p.sheet.dataset.page, 10),
        x: Math.round(p.fx * w * 100) / 100,
        y: Math.round((1 - p.fy) * h * 100) / 100,
      };
    });
    document.getElementById("placements").value = JSON.stringify(data);
    document.getElementById("placed-count").textContent = String(data.length);
    document.getElementById("next-button").disabled = data.length === 0;
  };

  const layout = (p) => {
    const {fw, fh} = sizeOn(p.sheet, p.seal);
    p.el.style.left = `${(p.fx - fw / 2) * 100}%`;
    p.el.style.top = `${(p.fy - fh / 2) * 100}%`;
    p.el.style.width = `${fw * 100}%`;
    p.el.style.height = `${fh * 100}%`;
  };

  // the centre (client x, y) on `sheet` → fractions, keeping the whole seal on the page
  const centreOn = (sheet, seal, x, y) => {
    const r = imageOf(sheet).getBoundingClientRect();
    const {fw, fh} = sizeOn(sheet, seal);
    return {
      fx: clamp((x - r.left) / r.width, fw / 2, 1 - fw / 2),
      fy: clamp((y - r.top) / r.height, fh / 2, 1 - fh / 2),
    };
  };

  const place = (sheet, seal, x, y) => {
    const el = document.createElement("div");
    el.className = "placed-seal";
    el.dataset.sealType = seal.type;
    el.innerHTML = `<img alt="" src="${seal.src}"><button type="button" class="remove" title="${t.remove}" aria-label="${t.remove}">×</button>`;
    el.title = seal.label;
    el.querySelector("img").alt = seal.label;
    sheet.appendChild(el);
    const p = {el, sheet, seal, ...centreOn(sheet, seal, x, y)};
    placed.push(p);
    layout(p);
    el.querySelector(".remove").addEventListener("pointerdown", (e) => e.stopPropagation());
    el.querySelector(".remove").addEventListener("click", () => {
      placed.splice(placed.indexOf(p), 1);
      el.remove();
      sync();
    });
    el.addEventListener("pointerdown", (e) => startDrag(e, seal, p));
    sync();
  };

  // one drag: from the palette (p undefined) or moving a placed seal
  const startDrag = (event, seal, p) => {
    if (event.button !== 0) return;
    event.preventDefault();
    const ghost = document.createElement("img");
    ghost.className = "seal-ghost";
    ghost.src = seal.src;
    document.body.appendChild(ghost);
    if (p) p.el.style.visibility = "hidden";
    let target = null;
    const move = (x, y) => {
      const sheet = sheetAt(x, y) || (p ? p.sheet : sheets[0]);
      const r = imageOf(sheet).getBoundingClientRect();
      const {fw, fh} = sizeOn(sheet, seal);
      ghost.style.width = `${fw * r.width}px`;
      ghost.style.height = `${fh * r.height}px`;
      ghost.style.left = `${x - (fw * r.width) / 2}px`;
      ghost.style.top = `${y - (fh * r.height) / 2}px`;
      const over = sheetAt(x, y);
      if (over !== target) {
        if (target) target.classList.remove("drop-target");
        target = over || null;
        if (target) target.classList.add("drop-target");
      }
    };
    move(event.clientX, event.clientY);
    const onMove = (e) => move(e.clientX, e.clientY);
    const onUp = (e) => {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onUp);
      window.removeEventListener("pointercancel", onUp);
      ghost.remove();
      if (target) target.classList.remove("drop-target");
      const sheet = e.type === "pointerup" ? sheetAt(e.clientX, e.clientY) : null;
      if (p) {
        p.el.style.visibility = "";
        if (sheet) {
          if (sheet !== p.sheet) { sheet.appendChild(p.el); p.sheet = sheet; }
          Object.assign(p, centreOn(sheet, seal, e.clientX, e.clientY));
          layout(p);
          sync();
        }
      } else if (sheet) {
        place(sheet, seal, e.clientX, e.clientY);
      }
    };
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onUp);
    window.addEventListener("pointercancel", onUp);
  };

  document.querySelectorAll(".palette-seal").forEach((img) => {
    const seal = {
      type: img.dataset.sealType,
      src: img.src,
      label: img.alt,  // 公章, 法定代表人章 …
      widthMm: parseFloat(img.dataset.widthMm),
      heightMm: parseFloat(img.dataset.heightMm),
    };
    img.addEventListener("pointerdown", (e) => startDrag(e, seal));
  });
  sync();
})();
