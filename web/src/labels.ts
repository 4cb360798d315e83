import * as THREE from 'three';

/**
 * A text label that always faces the camera: a sprite with the text drawn on a canvas texture,
 * so it is part of the WebGL image (and of PNG exports). `height` is in world units; `outline`
 * draws a halo of that color around the letters.
 */
export function makeLabel(text: string, color: string, height = 0.075, align: 'center' | 'left' | 'right' = 'center', outline: string | null = null): THREE.Sprite {
  const fontPixels = 64;
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d')!;
  const font = `500 ${fontPixels}px system-ui, -apple-system, "Segoe UI", sans-serif`;
  context.font = font;
  const width = Math.ceil(context.measureText(text).width) + 8 + (outline ? fontPixels / 6 : 0);
  canvas.width = width;
  canvas.height = Math.ceil(fontPixels * 1.25);
  context.font = font;
  context.textBaseline = 'middle';
  if (outline) {
    // A halo in the outline color keeps the text readable over any part of the surface.
    context.lineWidth = fontPixels / 6;
    context.lineJoin = 'round';
    context.strokeStyle = outline;
    context.strokeText(text, 4, canvas.height / 2);
  }
  context.fillStyle = color;
  context.fillText(text, 4, canvas.height / 2);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.anisotropy = 4;
  // Labels stay readable where the surface passes in front of them, as in matplotlib's 3D axes.
  const material = new THREE.SpriteMaterial({ map: texture, transparent: true, depthWrite: false, depthTest: false });
  const sprite = new THREE.Sprite(material);
  sprite.renderOrder = 10;
  sprite.scale.set((height * canvas.width) / canvas.height, height, 1);
  sprite.center.set(align === 'center' ? 0.5 : align === 'left' ? 0 : 1, 0.5);
  return sprite;
}

/** Frees the GPU side of everything under `root` (geometries, materials, textures). */
export function disposeTree(root: THREE.Object3D): void {
  root.traverse((object) => {
    const mesh = object as THREE.Mesh;
    mesh.geometry?.dispose();
    const materials = Array.isArray(mesh.material) ? mesh.material : mesh.material ? [mesh.material] : [];
    for (const material of materials) {
      (material as THREE.SpriteMaterial).map?.dispose();
      material.dispose();
    }
  });
  root.clear();
}
