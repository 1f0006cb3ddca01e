package main

import (
	"context"
	"errors"
)

func runSimulate(_ context.Context, e env) error {
	fs := newFlagSet(e, "simulate", "simulate [flags]")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	return errors.New("simulate: not built yet")
}
