// Postman's own converter, as Postman's "Import" runs it: OpenAPI JSON in, a v2.1
// collection out. Request bodies and parameters come from the spec's examples; the
// base URL becomes the collection variable `baseUrl`, taken from the spec's `servers`.
// Usage: node convert.js openapi.json collection.json
"use strict";
const fs = require("fs");
const Converter = require("openapi-to-postmanv2");

const [input, output] = process.argv.slice(2);
const options = { parametersResolution: "Example", folderStrategy: "Paths" };
Converter.convert({ type: "string", data: fs.readFileSync(input, "utf8") }, options, (error, result) => {
  if (error || !result.result) {
    console.error(error ? error.message : result.reason);
    process.exit(1);
  }
  fs.writeFileSync(output, JSON.stringify(result.output[0].data, null, 2));
});
