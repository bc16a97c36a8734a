package kit

// Size limits of the app's files that the template kit reads (see
// [spec.MaxSpecSize]).
const (
	// MaxValuesSize is the largest values file of an app chart (--values),
	// Helm's own limit for one chart file.
	MaxValuesSize int64 = 5 << 20
	// MaxTemplateSize is the largest template file of a --templates folder.
	MaxTemplateSize int64 = 1 << 20
	// MaxKustomizeFileSize is the largest file of a --kustomize folder.
	MaxKustomizeFileSize int64 = 5 << 20
	// MaxKustomizeSize is the most a --kustomize folder holds in all: it is
	// read into memory.
	MaxKustomizeSize int64 = 50 << 20
	// MaxChartFileSize is the largest file of an app chart, folder or .tgz
	// (decompressed): Helm's loader.MaxDecompressedFileSize.
	MaxChartFileSize int64 = 5 << 20
	// MaxChartSize is the most an app chart holds in all, with its subcharts:
	// the files of a folder, or a .tgz's compressed file and its decompressed
	// content each. It is Helm's loader.MaxDecompressedChartSize.
	MaxChartSize int64 = 100 << 20
)
