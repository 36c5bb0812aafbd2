// The release editor writes its text fields and preview in the release's
// language: typing "ar" in the Language field turns them right to left at
// once, as the server renders them on reload (without this script too). The
// right-to-left languages come from the form's data-rtl-languages, which
// the server fills from its own rule.
(() => {
  const form = document.querySelector("form[data-rtl-languages]");
  const input = form && form.querySelector("[name=language]");
  if (!input) return;
  const rtl = new Set(form.dataset.rtlLanguages.split(" "));
  const apply = () => {
    const lang = input.value.trim() || "en";
    const dir = rtl.has(lang.split("-")[0].toLowerCase()) ? "rtl" : "ltr";
    document.querySelectorAll("[data-follows-language]").forEach((el) => {
      el.lang = lang;
      el.dir = dir;
    });
  };
  input.addEventListener("input", apply);
  input.addEventListener("change", apply);
})();
