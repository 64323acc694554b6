// viewer.js - the three.js view: orbit controls, grid and labelled axes,
// flat-shaded CAD look with crease edges, per-face colours. The camera fits
// the first model and is kept afterwards (fit(), home() and the standard
// views move it when asked); perspective or orthographic projection;
// wireframe and x-ray looks; a section plane with shaded cut faces.
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { Overlays } from "./overlays.js";

// Standard views: the direction from the model's centre to the camera.
// Top looks down with +Y up on screen (a hair off the Z axis, so the orbit
// controls keep +Z as their up direction); home is the first model's view.
export const VIEW_DIRECTIONS = {
  top: [0, -1e-4, 1],
  front: [0, -1, 0],
  right: [1, 0, 0],
  iso: [1, -1, 1],
  home: [1, -1.3, 0.9],
  flat: [0, -0.25, 1], // home of a 2D shape: from almost straight above
};

const FIT_DISTANCE = 2.8; // camera distance in bounding-sphere radii (45° field of view, some margin)
// How long a new view waits for its first model before it draws the empty
// scene (grid and axes). Drawn at once, that scene cost the page's main
// thread ~110 ms of WebGL work and read-back (software GL, 2 cores) while
// the first render was being set up: the render worker gets the page's
// messages only once that thread is free (worker-client.js).
const EMPTY_VIEW_DELAY_MS = 1000;

export class Viewer3D {
  constructor(container, { dark = false } = {}) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1));
    this.renderer.localClippingEnabled = true; // the section plane
    container.appendChild(this.renderer.domElement);
    // right-drag pans: no context menu, neither the browser's nor a host's
    // (JupyterLab opens its cell menu from a listener on the document)
    this.renderer.domElement.addEventListener("contextmenu", (e) => { e.preventDefault(); e.stopPropagation(); });
    this.scene = new THREE.Scene();
    this.perspective = new THREE.PerspectiveCamera(45, 1, 0.1, 1e6);
    this.orthographic = new THREE.OrthographicCamera(-1, 1, 1, -1, 0.1, 1e6);
    for (const c of [this.perspective, this.orthographic]) c.up.set(0, 0, 1);
    this.camera = this.perspective;
    this.camera.position.set(60, -80, 60);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener("change", () => this.draw());
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.2));
    this.sun = new THREE.DirectionalLight(0xffffff, 1.6);
    this.sun.position.set(1, -2, 3);
    this.camera.add(this.sun);
    this.scene.add(this.perspective, this.orthographic);
    this.grid = new THREE.GridHelper(200, 20);
    this.grid.rotation.x = Math.PI / 2;
    this.scene.add(this.grid);
    this.group = new THREE.Group();
    this.scene.add(this.group);
    // materials live as long as the viewer: a new material per model would
    // make three.js compile its shaders again on every draw (~15 ms here)
    const look = { flatShading: true, metalness: 0.05, roughness: 0.7 };
    this.materials = {
      plain: new THREE.MeshStandardMaterial({ color: 0xf9d72c, ...look }),
      coloured: new THREE.MeshStandardMaterial({ vertexColors: true, ...look }),
      // a 2D shape: seen from both sides, pushed behind its own outline
      flat: new THREE.MeshStandardMaterial({ color: 0xf9d72c, side: THREE.DoubleSide, polygonOffset: true,
        polygonOffsetFactor: 1, polygonOffsetUnits: 1, ...look }),
      edges: new THREE.LineBasicMaterial({ color: 0x333333 }),
      // the inside of the model where the section plane cuts it: its back
      // faces, drawn flat in one colour, so the cut reads as a solid face
      cut: new THREE.MeshBasicMaterial({ color: 0xd0504a, side: THREE.BackSide }),
    };
    this.mesh = null;
    this.bounds = null; // THREE.Box3 of the shown model
    this.fitted = false;
    this.look = { wireframe: false, xray: false };
    this.section = null; // {axis: 0|1|2, offset}
    this.overlays = new Overlays(this.scene);
    this.meshListeners = new Set(); // called after each new model is shown
    this.setTheme(dark);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.container = container;
    // nothing is drawn until the first model, an error, or EMPTY_VIEW_DELAY_MS
    // (the canvas shows the scene's background colour meanwhile)
    this.live = false;
    this.emptyTimer = setTimeout(() => this.show(), EMPTY_VIEW_DELAY_MS);
    this.resize();
  }

  // Start drawing (the first model, an error to show over the empty scene,
  // a PNG asked for, or the wait for a model ran out); `drawNow`: draw the
  // scene as it is (setMesh draws itself once its model is in).
  show(drawNow = true) {
    clearTimeout(this.emptyTimer);
    if (this.live) return;
    this.live = true;
    if (drawNow) this.draw();
  }

  setTheme(dark) {
    this.dark = dark;
    this.scene.background = new THREE.Color(dark ? 0x1e1e1e : 0xf4f4f4);
    this.renderer.domElement.style.background = `#${this.scene.background.getHexString()}`;
    this.grid.material.color = new THREE.Color(dark ? 0x555555 : 0xbbbbbb);
    this.materials.edges.color = new THREE.Color(dark ? 0x000000 : 0x333333);
    this.materials.cut.color = new THREE.Color(dark ? 0xe06a5f : 0xc43c35);
    this.overlays.setTheme(dark);
    this.draw();
  }

  resize() {
    const w = this.container.clientWidth || 400, h = this.container.clientHeight || 300;
    this.renderer.setSize(w, h, false);
    this.renderer.domElement.style.width = "100%";
    this.renderer.domElement.style.height = "100%";
    this.perspective.aspect = w / h;
    this.perspective.updateProjectionMatrix();
    this.updateOrthoFrustum();
    this.draw();
  }

  // The orthographic frustum shows what the perspective camera shows at the target's distance.
  updateOrthoFrustum(distance = this.camera.position.distanceTo(this.controls.target)) {
    const half = Math.max(distance, 1e-6) * Math.tan(THREE.MathUtils.degToRad(this.perspective.fov / 2));
    const aspect = this.perspective.aspect;
    Object.assign(this.orthographic, { left: -half * aspect, right: half * aspect, top: half, bottom: -half });
    this.orthographic.updateProjectionMatrix();
  }

  // positions: Float32Array xyz per vertex; indices: Uint32Array; faceColors:
  // Float32Array RGBA per triangle or null; edges: Float32Array of crease-edge
  // segment endpoints (found in the worker), or null to compute them here;
  // stats.dim === 2: a flat shape on the XY plane (edges are its outlines)
  setMesh({ positions, indices, faceColors, edges, stats }) {
    const flat = stats?.dim === 2;
    // non-indexed for flat shading with per-face colours (hard edges kept);
    // flatShading takes face normals in the shader, so no normal attribute
    const n = indices.length;
    const pos = new Float32Array(n * 3);
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const v = indices[i] * 3;
      pos[o] = positions[v];
      pos[o + 1] = positions[v + 1];
      pos[o + 2] = positions[v + 2];
    }
    const geom = new THREE.BufferGeometry();
    geom.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    if (faceColors) {
      const col = new Float32Array(n * 3);
      for (let t = 0, o = 0; t < n / 3; t++) {
        const r = faceColors[4 * t], g = faceColors[4 * t + 1], b = faceColors[4 * t + 2];
        for (let k = 0; k < 3; k++, o += 3) {
          col[o] = r;
          col[o + 1] = g;
          col[o + 2] = b;
        }
      }
      geom.setAttribute("color", new THREE.BufferAttribute(col, 3));
    }
    const mesh = new THREE.Mesh(geom, flat ? this.materials.flat : faceColors ? this.materials.coloured : this.materials.plain);
    let edgeGeom;
    if (edges) {
      edgeGeom = new THREE.BufferGeometry();
      edgeGeom.setAttribute("position", new THREE.BufferAttribute(edges, 3));
    } else {
      edgeGeom = new THREE.EdgesGeometry(geom, 30);
    }
    const lines = new THREE.LineSegments(edgeGeom, this.materials.edges);
    if (flat) { // just above the grid (on the same plane), by far less than a depth step at any zoom
      geom.computeBoundingSphere();
      mesh.position.z = lines.position.z = Math.max(geom.boundingSphere.radius, 1) * 1e-3;
    }
    const cut = new THREE.Mesh(geom, this.materials.cut); // shares the geometry
    cut.visible = this.section !== null;
    cut.renderOrder = -1;
    for (const c of [...this.group.children]) {
      if (c !== this.cut) c.geometry.dispose(); // materials are kept; the cut shares the mesh's geometry
      this.group.remove(c);
    }
    this.group.add(cut, mesh, lines);
    this.mesh = mesh;
    this.cut = cut;
    geom.computeBoundingBox();
    geom.computeBoundingSphere();
    this.bounds = geom.boundingBox.clone();
    this.overlays.setBounds(this.bounds);
    // fitted on the first model, and again when a 2D shape follows a 3D model or back
    if (!this.fitted || flat !== this.flat) {
      this.flat = flat;
      this.view("home");
      this.fitted = true;
    } else {
      this.updateClipRange();
    }
    this.flat = flat;
    this.show(false);
    this.draw();
    for (const f of this.meshListeners) f();
  }

  // Near and far planes that hold the model wherever the camera is (a model
  // that grew must not be clipped by planes chosen for the first one).
  updateClipRange() {
    if (!this.mesh) return;
    const { center, radius } = this.mesh.geometry.boundingSphere;
    const r = Math.max(radius, 1);
    const d = this.camera.position.distanceTo(center);
    for (const c of [this.perspective, this.orthographic]) {
      c.near = Math.max(r / 1000, (d - 3 * r) * 0.5, 1e-3);
      c.far = d + 100 * r;
      c.updateProjectionMatrix();
    }
    // an orthographic camera sees from its position: keep it outside the model
    this.orthographic.near = Math.min(this.orthographic.near, r / 1000);
    this.orthographic.updateProjectionMatrix();
  }

  // Fit the model into the view, looking from `direction` (default: the
  // current direction).
  fit(direction = null) {
    if (!this.mesh) return;
    const { center, radius } = this.mesh.geometry.boundingSphere;
    const r = Math.max(radius, 1e-3);
    const dir = direction ? new THREE.Vector3(...direction) : this.camera.position.clone().sub(this.controls.target);
    if (dir.lengthSq() === 0) dir.set(...VIEW_DIRECTIONS.home);
    dir.normalize();
    const distance = r * FIT_DISTANCE;
    this.controls.target.copy(center);
    for (const c of [this.perspective, this.orthographic]) {
      c.position.copy(center).addScaledVector(dir, distance);
      c.zoom = 1;
      c.lookAt(center);
    }
    this.updateOrthoFrustum(distance);
    this.updateClipRange();
    this.controls.update();
    this.draw();
  }

  // One of VIEW_DIRECTIONS (top, front, right, iso, home), fitted.
  view(name) {
    const dir = VIEW_DIRECTIONS[name === "home" && this.flat ? "flat" : name];
    if (!dir) throw new Error(`unknown view ${name}`);
    this.fit(dir);
  }

  get projection() { return this.camera === this.orthographic ? "orthographic" : "perspective"; }

  // "perspective" or "orthographic": the new camera takes the old one's place and direction
  setProjection(kind) {
    const next = kind === "orthographic" ? this.orthographic : this.perspective;
    if (next === this.camera) return;
    const prev = this.camera;
    next.position.copy(prev.position);
    next.quaternion.copy(prev.quaternion);
    // the same apparent size: the ortho frustum spans what perspective shows at the target
    const distance = prev.position.distanceTo(this.controls.target);
    if (next === this.orthographic) {
      this.updateOrthoFrustum(distance);
      next.zoom = 1;
    } else if (prev === this.orthographic && prev.zoom !== 1) { // keep the zoom as a distance
      const dir = prev.position.clone().sub(this.controls.target).normalize();
      next.position.copy(this.controls.target).addScaledVector(dir, distance / prev.zoom);
    }
    next.updateProjectionMatrix();
    next.add(this.sun);
    this.camera = next;
    this.controls.object = next;
    this.updateClipRange();
    this.controls.update();
    this.draw();
  }

  setWireframe(on) {
    this.look.wireframe = !!on;
    for (const m of [this.materials.plain, this.materials.coloured, this.materials.flat]) m.wireframe = this.look.wireframe;
    this.draw();
  }

  // See-through faces with every crease edge visible, hidden ones included.
  setXray(on) {
    this.look.xray = !!on;
    for (const m of [this.materials.plain, this.materials.coloured, this.materials.flat]) {
      m.transparent = this.look.xray;
      m.opacity = this.look.xray ? 0.3 : 1;
      m.depthWrite = !this.look.xray;
      m.needsUpdate = true;
    }
    this.materials.edges.depthTest = !this.look.xray;
    this.materials.edges.needsUpdate = true;
    this.draw();
  }

  // Cut the model along axis 0|1|2 (X|Y|Z) at `offset`, hiding what lies
  // beyond (greater coordinates); null removes the cut.
  setSection(section) {
    this.section = section ? { axis: section.axis, offset: section.offset } : null;
    let planes = [];
    if (this.section) {
      const normal = new THREE.Vector3();
      normal.setComponent(this.section.axis, -1);
      planes = [new THREE.Plane(normal, this.section.offset)];
    }
    for (const m of Object.values(this.materials)) {
      m.clippingPlanes = planes;
      m.needsUpdate = true;
    }
    if (this.cut) this.cut.visible = this.section !== null;
    this.draw();
  }

  draw() {
    if (!this.live) return;
    this.overlays.update(this.camera);
    this.renderer.render(this.scene, this.camera);
  }

  // The view went away: stop observing, free the GPU's copies.
  dispose() {
    clearTimeout(this.emptyTimer);
    this.resizeObserver.disconnect();
    this.controls.dispose();
    for (const c of this.group.children) c.geometry.dispose();
    for (const m of Object.values(this.materials)) m.dispose();
    this.overlays.dispose();
    this.renderer.dispose();
  }
}
