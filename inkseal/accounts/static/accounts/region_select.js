// 所在地区: province → city → district selects, from the shipped division data (no network but
// our own static file). The server renders the options of the current choice; this refills the
// lower selects when a higher one changes.
(function () {
  const province = document.getElementById("id_province");
  const city = document.getElementById("id_city");
  const district = document.getElementById("id_district");
  if (!province || !city || !district) return;
  let data = null;
  const load = () => data ? Promise.resolve(data)
    : fetch(province.dataset.regions).then((r) => r.json()).then((d) => (data = d));
  const fill = (select, names) => {
    const placeholder = select.options[0] ? select.options[0].textContent : "";
    select.replaceChildren(new Option(placeholder, ""), ...names.map((n) => new Option(n, n)));
  };
  province.addEventListener("change", () => load().then((d) => {
    fill(city, Object.keys(d[province.value] || {}));
    fill(district, []);
  }));
  city.addEventListener("change", () => load().then((d) => {
    fill(district, ((d[province.value] || {})[city.value]) || []);
  }));
})();
