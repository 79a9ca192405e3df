#!/usr/bin/env node
// The published entry: runs the compiled CLI (built by `npm ci` through `prepare`).
import "../dist/main.js";
