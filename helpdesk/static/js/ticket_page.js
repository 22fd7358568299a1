// A ticket page (customer or agent): its thread and reply form go live.

import { getLive } from "./live.js";
import { Composer, Thread } from "./thread.js";

const live = getLive();
const root = document.querySelector("[data-live-thread]");

if (live && root) {
  const thread = new Thread(root, live);
  thread.start();
  const form = document.querySelector("form[data-live-composer]");
  if (form) {
    new Composer(form, thread, live);
  }
}
