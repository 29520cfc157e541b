/* Loaded in <head> before the stylesheet applies: the remembered theme, without a flash. */
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var theme = localStorage.getItem("sb-theme");
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
  } catch (e) { /* storage unavailable: follow the system */ }
})();
