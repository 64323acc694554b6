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

  // positions: Float32Array xyz per vertex; indices: Uint32Array; faceColors: Float32Array RGBA per triangle or null
  setMesh({ positions, indices, faceColors }) {
    // non-indexed for flat shading with per-face colours (hard edges kept)
    const n = indices.length;
    const pos = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) pos.set(positions.subarray(indices[i] * 3, indices[i] * 3 + 3), i * 3);
    const geom = new THREE.BufferGeometry();
    geom.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    geom.computeVertexNormals();
    let material;
    if (faceColors) {
      const col = new Float32Array(n * 3);
      for (let t = 0; t < n / 3; t++)
        for (let k = 0; k < 3; k++) col.set(faceColors.subarray(t * 4, t * 4 + 3), (t * 3 + k) * 3);
      geom.setAttribute("color", new THREE.BufferAttribute(col, 3));
      material = new THREE.MeshStandardMaterial({ vertexColors: true, flatShading: true, metalness: 0.05, roughness: 0.7 });
    } else {
      material = new THREE.MeshStandardMaterial({ color: 0xf9d72c, flatShading: true, metalness: 0.05, roughness: 0.7 });
    }
    const mesh = new THREE.Mesh(geom, material);
    const edges = new THREE.LineSegments(new THREE.EdgesGeometry(geom, 30),
      new THREE.LineBasicMaterial({ color: this.dark ? 0x000000 : 0x333333 }));
    for (const c of [...this.group.children]) {
      c.geometry.dispose();
      c.material.dispose();
      this.group.remove(c);
    }
    this.group.add(mesh, edges);
    if (!this.fitted) {
      this.fit(geom);
      this.fitted = true;
    }
    this.draw();
  }

  fit(geom) {
    geom.computeBoundingSphere();
    const { center, radius } = geom.boundingSphere;
    const r = Math.max(radius, 1);
    this.controls.target.copy(center);
    this.camera.position.copy(center).add(new THREE.Vector3(1, -1.3, 0.9).normalize().multiplyScalar(r * 2.8));
    this.camera.near = r / 100;
    this.camera.far = r * 100;
    this.camera.updateProjectionMatrix();
    this.controls.update();
  }

  draw() {
    this.renderer.render(this.scene, this.camera);
  }
}
