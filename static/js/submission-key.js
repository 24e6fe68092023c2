/* The one-time key of a form on a page cached and served alike to everyone (the public
   pages): the server cannot draw a key of its own into it, so the browser fills in each
   empty <input data-submission-key> once, when the page loads (branches.idempotency).
   Without this file the form is sent without a key and carried out as before. */
(function () {
  "use strict";

  if (!window.crypto || !window.crypto.getRandomValues) {
    return;
  }

  /* A random (version 4) UUID; crypto.randomUUID needs HTTPS, this works everywhere. */
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (byte) {
      return (byte + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  document.querySelectorAll("input[data-submission-key]").forEach(function (field) {
    if (!field.value) {
      field.value = newKey();
    }
  });
})();
