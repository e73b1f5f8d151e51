public enum CredenceSynthPlaceholder {}
