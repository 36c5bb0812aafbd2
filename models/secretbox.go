package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretBox encrypts secrets the application must read back (TOTP seeds), so
// a copy of the database alone cannot produce second-factor codes. Keys[0]
// encrypts; every key decrypts, so the key can be rotated without
// re-enrolling anyone. Keys are 32 bytes (AES-256-GCM).
type SecretBox struct {
	Keys [][]byte
}

const sealedPrefix = "v1:"

var errSecretBox = errors.New("secret cannot be decrypted with any configured key")

// Seal encrypts plain with the current key.
func (b SecretBox) Seal(plain string) (string, error) {
	if len(b.Keys) == 0 {
		return "", errors.New("models: seal: no key configured")
	}
	gcm, err := newGCM(b.Keys[0])
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("models: seal: %w", err)
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(plain), nil)), nil
}

// Open decrypts what Seal wrote with any of the keys.
func (b SecretBox) Open(sealed string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", fmt.Errorf("models: open: %w", errSecretBox)
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil {
		return "", fmt.Errorf("models: open: %w", errSecretBox)
	}
	for _, k := range b.Keys {
		gcm, err := newGCM(k)
		if err != nil || len(data) < gcm.NonceSize() {
			continue
		}
		if plain, err := gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], nil); err == nil {
			return string(plain), nil
		}
	}
	return "", fmt.Errorf("models: open: %w", errSecretBox)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("models: secret box key: %w", err)
	}
	return cipher.NewGCM(block)
}
