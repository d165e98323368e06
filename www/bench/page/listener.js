// The change listener of the documents workload with `subscribe` (runner option
// --subscribe): counts calls and patches into `heard`, as cheaply as a listener can. Its own
// module, free of imports: the everlog bundle imports it without pulling in the baselines.

/** A listener of patch lists counting into `heard` (null: no listener). */
export const listener = (heard) =>
  heard &&
  ((patches) => {
    heard.calls++;
    heard.patches += patches.length;
  });
