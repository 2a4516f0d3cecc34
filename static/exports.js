// The Export menu: every step of the program on screen as PDF, handout, PowerPoint, GIF,
// MP4, ZIP, one offline page or LaTeX/TikZ, with the page's options. Only hrefs change: no text is inserted.

/** Each menu entry's route and the parameters it adds. */
export const EXPORTS = {
  pdf: ["pdf", {}],
  handout: ["pdf", { layout: "handout" }],
  pptx: ["pptx", {}],
  gif: ["gif", {}],
  mp4: ["mp4", {}],
  zip: ["zip", {}],
  standalone: ["standalone", {}],
  tex: ["tex", {}],
};

/** The address of export `name` for a share query (the step is dropped: exports show all). */
export function exportHref(name, query) {
  const [route, extra] = EXPORTS[name];
  const q = new URLSearchParams(query);
  q.delete("step");
  for (const [key, value] of Object.entries(extra)) q.set(key, value);
  return `${route}?${q.toString()}`;
}

/** Point every `[data-export]` link of `root` at the program and options of `query`. */
export function updateExportLinks(root, query) {
  for (const link of root.querySelectorAll("[data-export]")) {
    link.href = exportHref(link.dataset.export, query);
  }
}
