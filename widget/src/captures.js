// captures.js - what Python asks a view for, answered as messages (never
// awaited in the kernel: a Jupyter cell's comm replies queue behind it):
//   kernel -> page {type: "screenshot", id}
//     page -> kernel {type: "screenshot", id, width, height} + the PNG, or {.., error}
//   kernel -> page {type: "frames", id, steps}
//     page -> kernel {type: "frame", id, index, count, t} + the PNG, per frame,
//                    then {type: "frames-done", id, count}, or {type: "frames-done", id, error}
//   kernel -> page {type: "animate", steps, fps, playing}
// and it tells the kernel that a view shows the viewer ({type: "view", open}),
// so Python can say so when none does.

// capture(): a PNG Blob of the view; size(): [width, height] of the canvas.
export function attachCaptures({ model, capture, size, animation }) {
  const reply = async (msg, blob) => {
    const bytes = await blob.arrayBuffer();
    model.send(msg, undefined, [bytes]);
  };
  const onMessage = async (msg) => {
    if (msg.type === "screenshot") {
      try {
        const [width, height] = size();
        await reply({ type: "screenshot", id: msg.id, width, height }, await capture());
      } catch (err) {
        model.send({ type: "screenshot", id: msg.id, error: String(err.message || err) });
      }
    } else if (msg.type === "animate") {
      animation.configure(msg);
    } else if (msg.type === "frames") {
      try {
        const frames = await animation.renderFrames(msg.steps);
        for (const [index, f] of frames.entries())
          model.send({ type: "frame", id: msg.id, index, count: frames.length, t: f.t }, undefined, [f.bytes.buffer]);
        model.send({ type: "frames-done", id: msg.id, count: frames.length });
      } catch (err) {
        model.send({ type: "frames-done", id: msg.id, error: String(err.message || err) });
      }
    }
  };
  model.on("msg:custom", onMessage);
  model.send({ type: "view", open: true });
  return {
    dispose() {
      model.off("msg:custom", onMessage);
      model.send({ type: "view", open: false });
    },
  };
}
