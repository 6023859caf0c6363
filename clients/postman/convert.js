// Postman's own converter, as Postman's "Import" runs it (its v2 engine, with "Parameter
// generation: Example" chosen in the import settings): OpenAPI JSON in, a v2.1 collection
// out. Request bodies and parameters come from the spec's examples; the base URL becomes
// the collection variable `baseUrl`, taken from the spec's `servers`.
// Usage: node convert.js openapi.json collection.json
"use strict";
const fs = require("fs");
const Converter = require("openapi-to-postmanv2");

const [input, output] = process.argv.slice(2);
// Lower case: the converter keeps a user's value as given but compares it with "example",
// so "Example" (its UI label) silently falls back to placeholders like "<string>".
const options = { parametersResolution: "example", folderStrategy: "Paths" };
Converter.convertV2({ type: "string", data: fs.readFileSync(input, "utf8") }, options, (error, result) => {
  if (error || !result.result) {
    console.error(error ? error.message : result.reason);
    process.exit(1);
  }
  fs.writeFileSync(output, JSON.stringify(result.output[0].data, null, 2));
});
