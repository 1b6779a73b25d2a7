package store

// diskBytes is what the data directory's files take on disk, the
// emergency ballast aside (it is held back for the store, not used by
// it): Pebble's DiskSpaceUsage counts a live WAL at its size when it was
// opened (0 for a new one) and not the space preallocated for it, 110% of
// the memtable size each, so it left out the WAL and tens to hundreds of
// megabytes that df counts. ok is false when the directory cannot be read.
func (s *Store) diskBytes() (n uint64, ok bool) {
	fsys := s.ballast.fs
	names, err := fsys.List(s.opts.Dir)
	if err != nil {
		return 0, false
	}
	for _, name := range names {
		if name == ballastName {
			continue
		}
		fi, err := fsys.Stat(fsys.PathJoin(s.opts.Dir, name))
		if err != nil || fi.IsDir() {
			continue
		}
		n += allocated(fi)
	}
	return n, true
}
