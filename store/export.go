package store

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Raw-data export: every install, or every conversion, in a time range,
// for the admin API's export (an advertiser reconciling its partners'
// numbers, or loading them into its own tables). Installs and events are
// keyed by their ids, not by time, so an export reads the whole table from
// one snapshot and keeps what falls in the range: a daily pull, not an API
// to poll. It reads through the block cache like any other read (Pebble has
// no way to read around it), so it pushes out blocks attribution was
// using. Close stops it (errClosed) rather than wait for it.

// exportCheckEvery is how many records an export reads between looks at
// whether the store is closing.
const exportCheckEvery = 1024

// ExportInstalls calls fn with each install whose time (unix seconds) is
// in [from, to), until fn returns false. fn must not keep in.
func (s *Store) ExportInstalls(from, to int64, fn func(in *Install) bool) error {
	var in Install
	return s.exportTable(tableInstall, func(v []byte) (bool, error) {
		in = Install{}
		if err := in.decode(v); err != nil {
			return false, err
		}
		if in.Time < from || in.Time >= to {
			return true, nil
		}
		return fn(&in), nil
	})
}

// ExportEvents calls fn with each conversion (install, signup or in-app
// event) whose time (unix seconds) is in [from, to), until fn returns
// false. fn must not keep ev.
func (s *Store) ExportEvents(from, to int64, fn func(ev *Event) bool) error {
	var ev Event
	return s.exportTable(tableEvent, func(v []byte) (bool, error) {
		ev = Event{}
		if err := ev.decode(v); err != nil {
			return false, err
		}
		if ev.Time < from || ev.Time >= to {
			return true, nil
		}
		return fn(&ev), nil
	})
}

// exportTable calls fn with the value of every key of table, in one
// snapshot, until fn returns false or an error.
func (s *Store) exportTable(table byte, fn func(v []byte) (bool, error)) (err error) {
	s.exportMu.RLock()
	defer s.exportMu.RUnlock()
	if err := s.shut("export"); err != nil {
		return err
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{table}, UpperBound: []byte{table + 1}})
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	defer func() { err = errors.Join(err, it.Close()) }()
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		if n++; n%exportCheckEvery == 0 && s.closed.Load() {
			return fmt.Errorf("store: export: %w", errClosed)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		more, err := fn(v)
		if err != nil {
			return fmt.Errorf("store: export: record %q: %w", it.Key(), err)
		}
		if !more {
			return nil
		}
	}
	return nil
}
