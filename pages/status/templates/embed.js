/* surgedesk status: shows the known issues above a company's inquiry form.
   Include it where the notice should appear:
     <script src="https://DESK/status/embed.js" data-lang="ko" async></script>
   or give data-target="ID" to fill the element with that id instead. */
(function () {
  "use strict";
  var items = {{.Data}};
  var script = document.currentScript;
  if (!items.length) return;
  var lang = (script && script.getAttribute("data-lang")) || document.documentElement.lang || navigator.language || "ko";
  lang = /^ko/i.test(lang) ? "ko" : "en";
  var pageURL = "/status";
  try { pageURL = new URL("/status?lang=" + lang, script.src).href; } catch (e) {}
  var box = document.createElement("div");
  box.className = "surgedesk-status";
  box.setAttribute("role", "status");
  box.setAttribute("lang", lang);
  box.style.cssText = "border:2px solid #9a3412;background:#fff7ed;color:#1b1f24;border-radius:8px;padding:12px 16px;margin:0 0 16px;font:inherit;line-height:1.5";
  for (var i = 0; i < items.length; i++) {
    var it = items[i];
    var p = document.createElement("p");
    p.style.margin = i ? "8px 0 0" : "0";
    var strong = document.createElement("strong");
    strong.textContent = (lang === "ko" ? "알려진 장애: " : "Known issue: ") + it.title[lang] + " (" + it.status[lang] + ")";
    p.appendChild(strong);
    if (it.text[lang]) p.appendChild(document.createTextNode(" " + it.text[lang]));
    box.appendChild(p);
  }
  var more = document.createElement("a");
  more.href = pageURL;
  more.textContent = lang === "ko" ? "서비스 상태 자세히 보기" : "See the service status";
  more.style.color = "#0b57d0";
  box.appendChild(more);
  var target = script && script.getAttribute("data-target") && document.getElementById(script.getAttribute("data-target"));
  if (target) target.appendChild(box);
  else if (script && script.parentNode) script.parentNode.insertBefore(box, script);
})();
