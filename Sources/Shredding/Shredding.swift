public enum ShreddingPlaceholder {}
