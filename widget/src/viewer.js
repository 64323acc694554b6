// viewer.js - the three.js view: orbit controls, grid and axes, flat-shaded
// CAD look with crease edges, per-face colours; fits the view on the first
// model and keeps the camera afterwards.
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";

export class Viewer3D {
  constructor(container, { dark = false } = {}) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1));
    container.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.1, 1e6);
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(60, -80, 60);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener("change", () => this.draw());
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(1, -2, 3);
    this.camera.add(sun);
    this.scene.add(this.camera);
    this.grid = new THREE.GridHelper(200, 20);
    this.grid.rotation.x = Math.PI / 2;
    this.scene.add(this.grid);
    this.scene.add(new THREE.AxesHelper(30));
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
    };
    this.fitted = false;
    this.setTheme(dark);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.container = container;
    this.resize();
  }

  setTheme(dark) {
    this.dark = dark;
    this.scene.background = new THREE.Color(dark ? 0x1e1e1e : 0xf4f4f4);
    this.grid.material.color = new THREE.Color(dark ? 0x555555 : 0xbbbbbb);
    this.materials.edges.color = new THREE.Color(dark ? 0x000000 : 0x333333);
    this.draw();
  }

  resize() {
    const w = this.container.clientWidth || 400, h = this.container.clientHeight || 300;
    this.renderer.setSize(w, h, false);
    this.renderer.domElement.style.width = "100%";
    this.renderer.domElement.style.height = "100%";
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.draw();
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
    for (const c of [...this.group.children]) {
      c.geometry.dispose(); // materials are kept
      this.group.remove(c);
    }
    this.group.add(mesh, lines);
    // fitted on the first model, and again when a 2D shape follows a 3D model or back
    if (!this.fitted || flat !== this.flat) {
      this.fit(geom, flat);
      this.fitted = true;
    }
    this.flat = flat;
    this.draw();
  }

  // a 2D shape is seen from almost straight above, a 3D model from the front right
  fit(geom, flat = false) {
    geom.computeBoundingSphere();
    const { center, radius } = geom.boundingSphere;
    const r = Math.max(radius, 1);
    this.controls.target.copy(center);
    const from = flat ? new THREE.Vector3(0, -0.25, 1) : new THREE.Vector3(1, -1.3, 0.9);
    this.camera.position.copy(center).add(from.normalize().multiplyScalar(r * 2.8));
    this.camera.near = r / 100;
    this.camera.far = r * 100;
    this.camera.updateProjectionMatrix();
    this.controls.update();
  }

  draw() {
    this.renderer.render(this.scene, this.camera);
  }

  // The view went away: stop observing, free the GPU's copies.
  dispose() {
    this.resizeObserver.disconnect();
    this.controls.dispose();
    for (const c of this.group.children) c.geometry.dispose();
    for (const m of Object.values(this.materials)) m.dispose();
    this.renderer.dispose();
  }
}
