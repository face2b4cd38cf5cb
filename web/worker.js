// Module Web Worker running the engine off the page's main thread (WebGPU
// is available in dedicated workers). Messages in: {id, op, ...}; out:
// {id, ok: true, ...result} or {id, ok: false, error}, and {event, message}.

import { createEngine, errorText } from './engine.js';

const request = createEngine((event) => self.postMessage(event));

self.onmessage = async ({ data }) => {
  const { id, ...msg } = data;
  try {
    const { transfer = [], ...result } = await request(msg);
    self.postMessage({ id, ok: true, ...result }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: errorText(e) });
  }
};

self.postMessage({ event: 'started' });
