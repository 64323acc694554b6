// overlays.js - what the view draws over the model: axes with X/Y/Z labels
// (sized to the model) and the bounding box with its dimensions. Labels are
// sprites of a constant size on screen, drawn over everything.
import * as THREE from "three";

const AXIS_COLOURS = [0xd03030, 0x2c9a2c, 0x3050d0];

// A text label as a sprite: `height` is its fraction of the view's height.
export function textSprite(text, { color = "#222", background = "rgba(255,255,255,.8)", height = 0.04 } = {}) {
  const font = 48;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  ctx.font = `${font}px system-ui, sans-serif`;
  canvas.width = Math.ceil(ctx.measureText(text).width) + 24;
  canvas.height = font + 16;
  ctx.font = `${font}px system-ui, sans-serif`;
  if (background) {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  ctx.fillStyle = color;
  ctx.textBaseline = "middle";
  ctx.fillText(text, 12, canvas.height / 2);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  const material = new THREE.SpriteMaterial({ map: texture, depthTest: false, sizeAttenuation: false });
  const sprite = new THREE.Sprite(material);
  sprite.scale.set((height * canvas.width) / canvas.height, height, 1);
  sprite.userData.baseScale = sprite.scale.clone();
  sprite.renderOrder = 10;
  sprite.userData.text = text;
  return sprite;
}

function disposeTree(obj) {
  obj.traverse((o) => {
    o.geometry?.dispose();
    if (o.material) {
      o.material.map?.dispose();
      o.material.dispose();
    }
  });
}

// A number as a dimension: up to 3 decimals, no trailing zeros.
export const formatLength = (x) => String(Number(x.toFixed(3)));

export class Overlays {
  constructor(scene) {
    this.scene = scene;
    this.dark = false;
    this.axes = new THREE.Group();
    this.box = new THREE.Group();
    this.box.visible = false;
    scene.add(this.axes, this.box);
    this.bounds = null;
    this.buildAxes(30);
  }

  labelStyle() {
    return this.dark ? { color: "#eee", background: "rgba(30,30,30,.8)" } : { color: "#222", background: "rgba(255,255,255,.8)" };
  }

  setTheme(dark) {
    this.dark = dark;
    this.rebuild();
  }

  // Axes from the origin, long enough to reach past the model.
  buildAxes(length) {
    disposeTree(this.axes);
    this.axes.clear();
    this.axesLength = length;
    ["X", "Y", "Z"].forEach((name, i) => {
      const end = new THREE.Vector3();
      end.setComponent(i, length);
      const geom = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), end]);
      const line = new THREE.Line(geom, new THREE.LineBasicMaterial({ color: AXIS_COLOURS[i] }));
      const label = textSprite(name, { color: `#${AXIS_COLOURS[i].toString(16).padStart(6, "0")}`, background: null, height: 0.05 });
      label.position.copy(end).multiplyScalar(1.08);
      this.axes.add(line, label);
    });
  }

  setBounds(box) {
    this.bounds = box.clone();
    this.rebuild();
  }

  rebuild() {
    if (!this.bounds) return;
    const size = this.bounds.getSize(new THREE.Vector3());
    const reach = Math.max(this.bounds.max.x, this.bounds.max.y, this.bounds.max.z, size.x, size.y, size.z, 1);
    this.buildAxes(reach * 1.2);
    disposeTree(this.box);
    this.box.clear();
    const helper = new THREE.Box3Helper(this.bounds, this.dark ? 0x6fb0ff : 0x1f5fbf);
    this.box.add(helper);
    // each dimension labelled at the middle of an edge along it
    const { min, max } = this.bounds;
    const mid = (a, b) => (a + b) / 2;
    const at = [
      new THREE.Vector3(mid(min.x, max.x), min.y, min.z),
      new THREE.Vector3(max.x, mid(min.y, max.y), min.z),
      new THREE.Vector3(max.x, min.y, mid(min.z, max.z)),
    ];
    ["x", "y", "z"].forEach((axis, i) => {
      const label = textSprite(`${axis} ${formatLength(size.getComponent(i))}`, this.labelStyle());
      label.position.copy(at[i]);
      this.box.add(label);
    });
    this.dimensions = [size.x, size.y, size.z];
  }

  // Labels keep their size on screen: an orthographic camera does not scale
  // sprites by distance, so their scale follows its frustum instead.
  update(camera) {
    const k = camera.isOrthographicCamera ? (camera.top - camera.bottom) / camera.zoom : 1;
    for (const group of [this.axes, this.box])
      for (const o of group.children)
        if (o.isSprite) o.scale.copy(o.userData.baseScale).multiplyScalar(k);
  }

  get axesVisible() { return this.axes.visible; }
  set axesVisible(on) { this.axes.visible = !!on; }
  get boxVisible() { return this.box.visible; }
  set boxVisible(on) { this.box.visible = !!on; }

  dispose() {
    disposeTree(this.axes);
    disposeTree(this.box);
  }
}
