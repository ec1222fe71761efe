// A small time-series line chart on a <canvas>, drawn by hand (no library): the last
// `capacity` samples, a zero-based y axis with a "nice" maximum, grid lines, labels.

/** Rounds up to 1, 2 or 5 times a power of ten (of 1024 first when `binary`: 1K, 2M, 500K). */
export function niceCeil(v, binary) {
  if (!(v > 0)) return 1;
  let unit = 1;
  if (binary) while (v / unit >= 1024) unit *= 1024;
  const x = v / unit;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p * unit;
}

/** A y label: whole numbers as they are, others with at most two decimals. */
export function plainLabel(v) {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

export class LineChart {
  /**
   * canvas: the element to draw on; opts: {capacity (samples kept, default 120),
   * format (y label formatter), color (CSS colour), binary (bytes: a 1024-based axis)}.
   */
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.capacity = opts.capacity || 120;
    this.format = opts.format || plainLabel;
    this.binary = !!opts.binary;
    this.color = opts.color || '#b3261e';
    this.samples = [];
  }

  /** Appends a sample (a finite number; others are dropped) and redraws. */
  push(v) {
    if (!Number.isFinite(v)) return;
    this.samples.push(v);
    if (this.samples.length > this.capacity) this.samples.shift();
    this.draw();
  }

  draw() {
    const c = this.canvas;
    if (!c.isConnected) return;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 300;
    const hgt = c.clientHeight || 120;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hgt * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const style = getComputedStyle(c);
    const fg = style.color || '#444';
    const left = 56, right = 8, top = 8, bottom = 16;
    const pw = Math.max(10, w - left - right), ph = Math.max(10, hgt - top - bottom);
    const max = niceCeil(Math.max(...this.samples, 0), this.binary);

    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    g.textAlign = 'right';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + ph - (ph * i) / 4;
      g.strokeStyle = 'rgba(128,128,128,0.25)';
      g.beginPath();
      g.moveTo(left, Math.round(y) + 0.5);
      g.lineTo(left + pw, Math.round(y) + 0.5);
      g.stroke();
      g.fillStyle = fg;
      g.fillText(this.format((max * i) / 4), left - 6, y);
    }
    g.textAlign = 'left';
    g.textBaseline = 'alphabetic';
    g.fillText(`${this.capacity}s`, left, hgt - 2);
    g.textAlign = 'right';
    g.fillText('now', left + pw, hgt - 2);

    const n = this.samples.length;
    if (n === 0) return;
    const step = pw / (this.capacity - 1);
    const x0 = left + pw - (n - 1) * step;
    const yOf = (v) => top + ph - (ph * v) / max;
    g.beginPath();
    this.samples.forEach((v, i) => (i === 0 ? g.moveTo(x0, yOf(v)) : g.lineTo(x0 + i * step, yOf(v))));
    g.strokeStyle = this.color;
    g.lineWidth = 2;
    g.stroke();
    g.lineTo(x0 + (n - 1) * step, top + ph);
    g.lineTo(x0, top + ph);
    g.closePath();
    g.globalAlpha = 0.12;
    g.fillStyle = this.color;
    g.fill();
    g.globalAlpha = 1;
  }
}
