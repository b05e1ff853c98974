package main

import (
	"github.com/stretchr/testify/assert"
)

type assertT = assert.CollectT

func assertEqual(c *assertT, want, got any) bool { return assert.Equal(c, want, got) }

func assertLen(c *assertT, v any, n int) bool { return assert.Len(c, v, n) }
