// Keyboard shortcuts of the review queue: j/k move, m/n/s decide, e note, u undo, / search. No framework.
(function () {
  const pairs = Array.from(document.querySelectorAll("section.pair"));
  let current = 0;
  function select(i, scroll) {
    if (!pairs.length) return;
    const beyond = document.getElementById(i < 0 ? "prev-page" : "next-page");
    if ((i < 0 || i >= pairs.length) && beyond) { location.href = beyond.href; return; }
    current = Math.max(0, Math.min(pairs.length - 1, i));
    pairs.forEach((p, k) => p.classList.toggle("current", k === current));
    if (scroll) pairs[current].scrollIntoView({ block: "center" });
  }
  const fromHash = pairs.findIndex((p) => "#" + p.id === location.hash);
  const firstOpen = pairs.findIndex((p) => !p.classList.contains("decided") && !p.classList.contains("unsure"));
  select(fromHash >= 0 ? fromHash : Math.max(firstOpen, 0), fromHash >= 0);
  pairs.forEach((p, k) => p.addEventListener("click", () => select(k, false)));
  function press(value) {
    const form = pairs[current] && pairs[current].querySelector("form.verdict");
    if (form) form.requestSubmit(form.querySelector('button[value="' + value + '"]'));
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
    if (typing) { if (e.key === "Escape") e.target.blur(); return; }
    const actions = {
      j: () => select(current + 1, true),
      k: () => select(current - 1, true),
      m: () => press("match"),
      n: () => press("no"),
      s: () => press("unsure"),
      e: () => { const n = pairs[current] && pairs[current].querySelector("input.note"); if (n) n.focus(); },
      u: () => { const b = document.getElementById("undo"); if (b && !b.disabled) b.click(); },
      "/": () => document.getElementById("search").focus(),
    };
    if (actions[e.key]) { e.preventDefault(); actions[e.key](); }
  });
})();
