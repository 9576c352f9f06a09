// Package secretstest is the conformance suite of sspm.KeyWrapper: every wrapper (the local key, AWS KMS) runs
// TestKeyWrapper and TestRotation from its own tests, and so proves that secrets.Sealer works on top of it.
package secretstest
