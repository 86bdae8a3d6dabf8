// Writes the RFC 8785 (JSON Canonicalization Scheme) form of the JSON on standard input, made by
// the `canonicalize` package that the eddsa-jcs-2022 cryptosuite uses.
import canonicalize from 'canonicalize';

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}
process.stdout.write(canonicalize(JSON.parse(input)));
