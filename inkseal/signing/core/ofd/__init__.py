"""OFD (GB/T 33190) packages: safe reading, the document model signatures need, verification of
their GB/T 38540 / GM/T 0031 seals and GB/T 35275 signatures, and sealing. Pure: no Django."""
