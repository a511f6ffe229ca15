import { niceCeil, soakChartSvg } from './soak-svg.js';

describe('niceCeil', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(niceCeil(0.7)).toBe(1);
    expect(niceCeil(1)).toBe(1);
    expect(niceCeil(1.2)).toBe(2);
    expect(niceCeil(3)).toBe(5);
    expect(niceCeil(130)).toBe(200);
    expect(niceCeil(600)).toBe(1000);
    expect(niceCeil(0)).toBe(1);
  });
});

describe('soakChartSvg', () => {
  const samples = [
    { t: 0, rssMiB: 80, activeCalls: 0 },
    { t: 1, rssMiB: 100, activeCalls: 12 },
    { t: 2, rssMiB: 90 },
    { t: 3, rssMiB: 95, activeCalls: 3 },
  ];

  it('draws one polyline per series with a point per sample that has the value, and the markers', () => {
    const svg = soakChartSvg('soak <fs>', samples, [{ t: 2, label: '2 min' }]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const lines = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1].split(' ').length);
    expect(lines).toEqual([3, 4]); // active calls (one sample without), then RSS
    expect(svg).toContain('soak &lt;fs&gt;');
    expect(svg).toContain('>2 min<');
  });

  it('keeps every point inside the plot area', () => {
    const svg = soakChartSvg('t', samples);
    for (const m of svg.matchAll(/points="([^"]*)"/g)) {
      for (const p of m[1].split(' ')) {
        const [px, py] = p.split(',').map(Number);
        expect(px).toBeGreaterThanOrEqual(60);
        expect(px).toBeLessThanOrEqual(840);
        expect(py).toBeGreaterThanOrEqual(40);
        expect(py).toBeLessThanOrEqual(375);
      }
    }
  });

  it('refuses to plot nothing', () => {
    expect(() => soakChartSvg('t', [])).toThrow(RangeError);
  });
});
