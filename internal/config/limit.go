package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LimitFile is limit_appliances.json, in the Python demo's format. Only
// AppliancesSubset selects anything; Example and Comment are kept so that a
// rewrite does not lose them (the demo dropped them).
type LimitFile struct {
	ApplianceSubset []string `json:"appliance_subset"`
	Example         []string `json:"example,omitempty"`
	Comment         string   `json:"comment,omitempty"`
}

// maxLimitFileBytes bounds what ReadLimitFile reads.
const maxLimitFileBytes = 4 << 20

// ParseLimitFile decodes limit_appliances.json strictly: unknown keys,
// trailing data, a missing appliance_subset or non-string entries are errors.
// Hostnames are trimmed; empty and duplicate entries are errors too, so that a
// typo is caught rather than silently matching nothing.
func ParseLimitFile(r io.Reader) (LimitFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxLimitFileBytes+1))
	if err != nil {
		return LimitFile{}, err
	}
	if len(data) > maxLimitFileBytes {
		return LimitFile{}, fmt.Errorf("larger than %d bytes", maxLimitFileBytes)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return LimitFile{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := raw["appliance_subset"]; !ok {
		return LimitFile{}, errors.New(`missing key "appliance_subset" (use [] to let discovery pick)`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var lf LimitFile
	if err := dec.Decode(&lf); err != nil {
		return LimitFile{}, fmt.Errorf("decode: %w", err)
	}
	if lf.ApplianceSubset == nil {
		lf.ApplianceSubset = []string{}
	}
	seen := make(map[string]bool, len(lf.ApplianceSubset))
	var errs []error
	for i, h := range lf.ApplianceSubset {
		h = strings.TrimSpace(h)
		lf.ApplianceSubset[i] = h
		switch {
		case h == "":
			errs = append(errs, fmt.Errorf("appliance_subset[%d] is empty", i))
		case seen[h]:
			errs = append(errs, fmt.Errorf("appliance_subset lists %q twice", h))
		}
		seen[h] = true
	}
	return lf, errors.Join(errs...)
}

// ReadLimitFile reads and parses the file at path.
func ReadLimitFile(path string) (LimitFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return LimitFile{}, fmt.Errorf("limit file: %w", err)
	}
	defer f.Close()
	lf, err := ParseLimitFile(f)
	if err != nil {
		return LimitFile{}, fmt.Errorf("limit file %s: %w", path, err)
	}
	return lf, nil
}

// WriteLimitFile replaces the file at path atomically (write to a temporary
// file in the same directory, then rename), keeping its permissions. When the
// file is a bind mount that cannot be replaced by rename, it falls back to
// rewriting the file in place.
func WriteLimitFile(path string, lf LimitFile) error {
	data, err := json.MarshalIndent(lf, "", "    ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".limit_appliances-*.json")
	if err == nil {
		name := tmp.Name()
		_, werr := tmp.Write(data)
		cerr := tmp.Close()
		if werr == nil && cerr == nil {
			_ = os.Chmod(name, mode)
			if err = os.Rename(name, path); err == nil {
				return nil
			}
		}
		os.Remove(name)
	}
	// A single-file bind mount (docker compose) cannot be renamed over.
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write limit file %s: %w", path, err)
	}
	return nil
}
