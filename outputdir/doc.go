// Package outputdir writes rendered objects as files into a folder and
// replaces that folder in one step: the new tree is written beside the old
// one, made durable and swapped in one atomic step (renameat2 with
// RENAME_EXCHANGE on Linux, renameatx_np with RENAME_SWAP on macOS), under
// a lock, and a marker file ([MarkerFile]) in every folder says prenv owns
// it, so a reader sees the old tree or the new one, never a mix
// ([ReplaceDir], [WriteDir], [ObjectFiles]).
//
//	files, err := outputdir.ObjectFiles(objs)        // one file per object
//	changes, err := outputdir.ReplaceDir(ctx, "out", files)
//	fmt.Println(changes)
//
// Guaranteed: a folder holding files prenv did not write, a symbolic link
// as the folder, or a file name that leaves it is refused before anything
// changes ([*DirRefusedError], [*InvalidFilesError]); a second writer of
// the same folder waits for the lock until its context ends
// ([*DirLockedError]).
package outputdir
