using System.Runtime.CompilerServices;

// Tests count the in-memory models' full builds (AreaIndexCache, WalkModelCache) to prove a write patches them.
[assembly: InternalsVisibleTo("GridMap.Server.Tests")]
