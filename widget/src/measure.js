// measure.js - point-to-point measurement on the model: each click (not a
// drag) picks the model's vertex nearest to where the ray hits it, within
// the hit triangle; two points give the distance and Δx/Δy/Δz, shown in
// `readout` and drawn as a line between the points. A third click starts
// a new measurement; clear() ends it.
import * as THREE from "three";
import { formatLength } from "./overlays.js";

const CLICK_SLOP_PX = 4; // a pointer that moved further is an orbit drag, not a pick

export class Measure {
  constructor(v3d, readout) {
    this.v3d = v3d;
    this.readout = readout;
    this.points = [];
    this.active = false;
    this.marks = new THREE.Group();
    this.marks.renderOrder = 11;
    v3d.scene.add(this.marks);
    this.raycaster = new THREE.Raycaster();
    const canvas = v3d.renderer.domElement;
    let down = null;
    this.onDown = (e) => { down = e.button === 0 ? [e.clientX, e.clientY] : null; };
    this.onUp = (e) => {
      if (!this.active || !down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > CLICK_SLOP_PX) return;
      const p = this.pick(e.clientX, e.clientY);
      if (p) this.add(p);
    };
    canvas.addEventListener("pointerdown", this.onDown);
    canvas.addEventListener("pointerup", this.onUp);
  }

  setActive(on) {
    this.active = !!on;
    if (!this.active) this.clear();
    this.readout.hidden = !this.active;
    if (this.active && !this.points.length) this.readout.textContent = "measure: click two points on the model";
    this.v3d.renderer.domElement.style.cursor = this.active ? "crosshair" : "";
  }

  // The model's vertex nearest to the ray's hit under client pixel (x, y), or null.
  pick(x, y) {
    const mesh = this.v3d.mesh;
    if (!mesh) return null;
    const rect = this.v3d.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((x - rect.left) / rect.width) * 2 - 1, -((y - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.v3d.camera);
    const hits = this.raycaster.intersectObject(mesh, false)
      .filter((h) => !this.v3d.section || this.v3d.materials.plain.clippingPlanes[0].distanceToPoint(h.point) >= 0);
    if (!hits.length) return null;
    const { point, face } = hits[0];
    const pos = mesh.geometry.getAttribute("position");
    let best = null;
    for (const i of [face.a, face.b, face.c]) {
      const v = new THREE.Vector3().fromBufferAttribute(pos, i);
      if (!best || v.distanceToSquared(point) < best.distanceToSquared(point)) best = v;
    }
    return best;
  }

  add(p) {
    if (this.points.length === 2) this.clear();
    this.points.push(p.clone());
    this.draw();
  }

  clear() {
    this.points = [];
    this.draw();
  }

  // The current measurement: {distance, dx, dy, dz, from, to}, or null.
  get result() {
    if (this.points.length < 2) return null;
    const [a, b] = this.points;
    return { distance: a.distanceTo(b), dx: b.x - a.x, dy: b.y - a.y, dz: b.z - a.z, from: a.toArray(), to: b.toArray() };
  }

  draw() {
    for (const c of [...this.marks.children]) {
      c.geometry.dispose();
      c.material.dispose();
      this.marks.remove(c);
    }
    const colour = this.v3d.dark ? 0x66ccff : 0x0066cc;
    if (this.points.length) {
      const dots = new THREE.Points(new THREE.BufferGeometry().setFromPoints(this.points),
        new THREE.PointsMaterial({ color: colour, size: 9, sizeAttenuation: false, depthTest: false }));
      dots.renderOrder = 11;
      this.marks.add(dots);
    }
    if (this.points.length === 2) {
      const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints(this.points),
        new THREE.LineBasicMaterial({ color: colour, depthTest: false }));
      line.renderOrder = 11;
      this.marks.add(line);
    }
    const r = this.result;
    const f = formatLength;
    if (this.active) {
      this.readout.textContent = r
        ? `distance ${f(r.distance)}   Δx ${f(r.dx)}   Δy ${f(r.dy)}   Δz ${f(r.dz)}`
        : this.points.length === 1
          ? `from (${this.points[0].toArray().map(f).join(", ")}): click the second point`
          : "measure: click two points on the model";
    }
    this.v3d.draw();
  }

  dispose() {
    const canvas = this.v3d.renderer.domElement;
    canvas.removeEventListener("pointerdown", this.onDown);
    canvas.removeEventListener("pointerup", this.onUp);
    this.clear();
  }
}
