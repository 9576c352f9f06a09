// Package secrets envelope-encrypts connector secrets.
//
// A Sealer seals each secret under its own fresh 32-byte data key with AES-256-GCM and stores the data key
// wrapped by an sspm.KeyWrapper: AWS KMS in the cloud (package awskms), or the local key (CONNECTOR_SECRET_KEY)
// on one machine. Both wrappers pass the conformance suite in package secretstest.
//
// Every secret is bound to its connector twice: the wrapper wraps the data key under the encryption context
// {"connector_id": <id>, "purpose": "connector-secret"}, and the GCM additional data of the sealed secret
// names the format version and the connector id. A ciphertext copied to another connector's row fails to open.
//
// Rotation never re-encrypts a secret: Sealer.Rewrap re-wraps the data key under the wrapper's current key and
// keeps the sealed bytes as they are.
//
// Key material and plaintexts never appear in errors or logs; failures to open are reported as ErrCannotOpen.
package secrets
