// Giving page: typing a free amount selects "Autre montant" and shows its tax line live.
// The page works without this script (the server computes and checks everything).
(function () {
  "use strict";
  var input = document.querySelector("input[name=free_amount][data-tax-template]");
  if (!input) { return; }
  var line = document.getElementById("free-tax");
  var radio = document.getElementById("amount-free");
  var rate = input.getAttribute("data-tax-rate");
  var ceiling = parseInt(input.getAttribute("data-tax-ceiling") || "0", 10);
  var template = input.getAttribute("data-tax-template");
  function cents(text) {
    var cleaned = text.replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function euros(value) {
    var whole = Math.floor(value / 100), rest = value % 100;
    var text = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return (rest ? text + "," + (rest < 10 ? "0" : "") + rest : text) + "\u00a0€";
  }
  input.addEventListener("input", function () {
    if (radio && input.value.trim()) { radio.checked = true; }
    var amount = cents(input.value);
    if (amount === null || amount <= 0 || !line) { return; }
    var reduction;
    if (rate === "aid") {
      var within = Math.min(amount, ceiling);
      reduction = Math.floor(within * 75 / 100) + Math.floor((amount - within) * 66 / 100);
    } else {
      reduction = Math.floor(amount * 66 / 100);
    }
    line.textContent = template.replace("AMOUNT", euros(amount)).replace("COST", euros(amount - reduction));
  });
})();
