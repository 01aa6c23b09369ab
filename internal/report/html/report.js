// The filters and the search of the report. Without this script the
// page shows every site, and the form stays hidden.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) {
    return;
  }
  var sites = Array.prototype.slice.call(document.querySelectorAll("article.site"));
  // The names each card holds, lower-cased once: its site, the
  // functions its goroutines run and wait in, and its stack.
  var cards = sites.map(function (site) {
    var fns = Array.prototype.slice.call(site.querySelectorAll(".fn"));
    return {
      site: site,
      cls: site.getAttribute("data-class"),
      fns: fns,
      names: fns.map(function (e) { return e.textContent.toLowerCase(); }),
      stack: site.querySelector("details.stack"),
      opened: false
    };
  });
  var shown = document.getElementById("shown");
  var picks = { leak: { leak: true }, growing: { leak: true, growing: true } };

  function apply() {
    var choice = form.querySelector("input[name=filter]:checked");
    var want = choice ? picks[choice.value] : null;
    var q = form.elements.q.value.trim().toLowerCase();
    var n = 0;
    cards.forEach(function (c) {
      var ok = !want || want[c.cls] === true;
      var hit = false;
      var inStack = false;
      c.fns.forEach(function (e, i) {
        var match = q !== "" && c.names[i].indexOf(q) >= 0;
        e.classList.toggle("hit", match);
        if (match) {
          hit = true;
          inStack = inStack || (c.stack !== null && c.stack.contains(e));
        }
      });
      ok = ok && (q === "" || hit);
      c.site.hidden = !ok;
      // Open a stack to show what the search found in it, and close it
      // again when the search moves on.
      if (c.stack !== null) {
        if (ok && inStack && !c.stack.open) {
          c.stack.open = true;
          c.opened = true;
        } else if (c.opened && !(ok && inStack)) {
          c.stack.open = false;
          c.opened = false;
        }
      }
      if (ok) {
        n++;
      }
    });
    shown.textContent = n + " of " + cards.length + " sites shown";
  }

  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
})();
