public enum SkoopTestSupportMarker {}
