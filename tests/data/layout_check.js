/* Injected by tests/data/cli_report.sh at the end of a copy of the report (the report itself has no
 * script): measures, after layout, every <svg> (its viewBox in CSS pixels, its own size, its card's
 * content width) and the box of every <text> in it (rotation included), and writes them as JSON
 * into <pre id="layout-check"> for --dump-dom. */
(function () {
  const result = [];
  for (const svg of document.querySelectorAll("svg")) {
    const vb = svg.viewBox.baseVal;
    const ctm = svg.getScreenCTM();
    const a = new DOMPoint(vb.x, vb.y).matrixTransform(ctm);
    const b = new DOMPoint(vb.x + vb.width, vb.y + vb.height).matrixTransform(ctm);
    const card = svg.parentElement;
    const style = getComputedStyle(card);
    const own = svg.getBoundingClientRect();
    result.push({
      cls: svg.getAttribute("class"),
      vb: [vb.x, vb.y, vb.width, vb.height],
      box: [a.x, a.y, b.x, b.y],
      width: own.width,
      height: own.height,
      container: card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
      texts: Array.from(svg.querySelectorAll("text"), (t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent, box: [r.left, r.top, r.right, r.bottom] };
      }),
    });
  }
  const pre = document.createElement("pre");
  pre.id = "layout-check";
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
})();
