public enum SnapshotStorePlaceholder {}
