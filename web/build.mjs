// Builds web/dist from web/src with esbuild: the chat page (index.html, app.js, app.css), the widget's
// iframe page (embed.html, same app in a compact layout) and the portal's loader (widget.js).
// HTML pages reference app.js/app.css with a content hash (?v=...) so the server can cache them for good;
// every file also gets .gz and .br siblings that the server sends when the browser accepts them.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = new URL(".", import.meta.url).pathname;
const src = join(here, "src");
const dist = join(here, "dist");
const watch = process.argv.includes("--watch");

const common = {
  bundle: true,
  minify: !watch,
  sourcemap: false,
  target: "es2020",
  format: "iife",
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
};

async function build() {
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  await esbuild.build({
    ...common,
    entryPoints: { app: join(src, "app.js"), widget: join(src, "widget.js") },
    outdir: dist,
  });
  await esbuild.build({ ...common, entryPoints: { app: join(src, "app.css") }, outdir: dist });
  const version = {};
  for (const name of ["app.js", "app.css"]) {
    version[name] = createHash("sha256").update(await readFile(join(dist, name))).digest("hex").slice(0, 12);
  }
  for (const page of ["index.html", "embed.html"]) {
    const html = (await readFile(join(src, page), "utf8")).replace(
      /(app\.(?:js|css))\?v=dev/g,
      (_, name) => `${name}?v=${version[name]}`,
    );
    await writeFile(join(dist, page), html);
  }
  for (const name of await readdir(dist)) {
    const body = await readFile(join(dist, name));
    await writeFile(join(dist, `${name}.gz`), gzipSync(body, { level: 9 }));
    await writeFile(
      join(dist, `${name}.br`),
      brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
  const sizes = {};
  for (const name of (await readdir(dist)).sort()) {
    sizes[name] = (await readFile(join(dist, name))).length;
  }
  await writeFile(join(dist, "build.json"), JSON.stringify({ version, sizes }, null, 2) + "\n");
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  for (const name of ["app.js", "app.css", "widget.js", "index.html", "embed.html"]) {
    console.log(`${name.padEnd(11)} ${kb(sizes[name]).padStart(9)}  gzip ${kb(sizes[`${name}.gz`]).padStart(8)}`);
  }
}

await build();
if (watch) {
  const { watch: watchFiles } = await import("node:fs");
  let timer;
  watchFiles(src, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => build().catch((error) => console.error(error.message)), 100);
  });
  console.log("watching web/src ...");
}
