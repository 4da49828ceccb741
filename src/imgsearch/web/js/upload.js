// An image the user dropped, pasted or picked, made ready to send as image_base64.
//
// Images over MAX_SIDE px are scaled down in the browser first (a phone photo becomes
// ≈ 0.5 MB instead of 5–10 MB to upload; the model sees 224–384 px anyway, and a box
// keeps enough pixels to crop). Smaller ones, and formats the browser cannot decode
// (HEIC: the server can), are sent as they are. The latest upload is kept in this tab's
// sessionStorage under a token that the URL names, so a reload keeps the search.

const MAX_SIDE = 2048;
const MAX_BYTES = 20 * 1024 * 1024; // the server's limit for an uploaded image
const STORED = "imgsearch.upload";
const kept = new Map(); // token -> {dataUrl, preview}

function readAsDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function scaled(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file); // EXIF orientation applied, as the server does
  } catch {
    return { blob: file, preview: false }; // not decodable here: the server decides
  }
  const scale = MAX_SIDE / Math.max(bitmap.width, bitmap.height);
  if (scale >= 1 && file.size <= MAX_BYTES) {
    bitmap.close();
    return { blob: file, preview: true };
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * Math.min(scale, 1)));
  canvas.height = Math.max(1, Math.round(bitmap.height * Math.min(scale, 1)));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // transparency becomes white, as the server flattens it
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  return { blob, preview: true };
}

export class UploadError extends Error {}

// A file → {token, dataUrl, preview}; kept for this tab.
export async function prepareUpload(file) {
  if (file.type && !file.type.startsWith("image/")) {
    throw new UploadError(`${file.name || "That file"} is not an image (${file.type}).`);
  }
  const { blob, preview } = await scaled(file);
  if (blob.size > MAX_BYTES) throw new UploadError("The image is larger than 20 MB.");
  const dataUrl = await readAsDataUrl(blob);
  const token = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const upload = { token, dataUrl, preview };
  kept.set(token, upload);
  try {
    sessionStorage.setItem(STORED, JSON.stringify(upload));
  } catch {
    // over the storage quota: kept in memory, gone on reload
  }
  return upload;
}

export function findUpload(token) {
  if (kept.has(token)) return kept.get(token);
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORED) || "null");
    if (stored && stored.token === token) {
      kept.set(token, stored);
      return stored;
    }
  } catch {
    // unreadable: as if absent
  }
  return null;
}

export function base64Of(upload) {
  return upload.dataUrl.slice(upload.dataUrl.indexOf(",") + 1);
}

// The first image file in a drop or paste, if any.
export function imageFile(transfer) {
  if (!transfer) return null;
  for (const item of transfer.items || []) {
    if (item.kind === "file" && item.type.startsWith("image/")) return item.getAsFile();
  }
  for (const file of transfer.files || []) {
    if (!file.type || file.type.startsWith("image/")) return file;
  }
  return null;
}
