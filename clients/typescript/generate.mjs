// Types for callvault's API from its OpenAPI document, with openapi-typescript's Node API so
// that bytes (`format: binary`: audio, archives, stored files) are typed as `Blob` rather than
// `string` — the recipe in openapi-typescript's documentation, and the README's.
//
//   node generate.mjs <openapi.json> <schema.d.ts>
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import openapiTS, { astToString } from "openapi-typescript";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node generate.mjs <openapi.json> <schema.d.ts>");
  process.exit(2);
}

const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

const ast = await openapiTS(pathToFileURL(path.resolve(input)), {
  transform(schemaObject) {
    if (schemaObject.format === "binary") {
      const nullable =
        schemaObject.nullable ||
        (Array.isArray(schemaObject.type) && schemaObject.type.includes("null"));
      return nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
    }
    return undefined;
  },
});
fs.writeFileSync(output, astToString(ast));
