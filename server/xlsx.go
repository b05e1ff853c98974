package main

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// xlsxCol is a column of an exported sheet: its Chinese header, width and kind of value.
type xlsxCol struct {
	header string
	width  float64
	kind   xlsxKind
}

type xlsxKind int

const (
	xlsxText  xlsxKind = iota
	xlsxInt            // an integer (序号, a year)
	xlsxYuan           // an amount in 元 from fen, two decimals
	xlsxWan            // an amount in 万元 from fen
	xlsxTotal          // the label of a 合计 row
)

// xlsxBook writes a workbook one sheet at a time through excelize's StreamWriter (rows go to a
// buffer that spills to a temporary file past 16 MiB, never a sheet held as cells), with the
// house layout: an optional title, Chinese headers in bold, the header row frozen and repeated
// on every printed page, A4 landscape, amounts in 元 or 万元 with two decimals.
type xlsxBook struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []xlsxCol
	sheets int
	row    int // the last row written on the current sheet
	first  int // the first data row of the current sheet
	styles struct{ title, note, header, text, num, money, totalText, totalMoney int }
}

func newXLSXBook() (*xlsxBook, error) {
	b := &xlsxBook{f: excelize.NewFile()}
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	money := "#,##0.00"
	font := &excelize.Font{Family: "宋体", Size: 11}
	bold := &excelize.Font{Family: "宋体", Size: 11, Bold: true}
	for _, s := range []struct {
		dst   *int
		style excelize.Style
	}{
		{&b.styles.title, excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 16, Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.styles.note, excelize.Style{Font: font, Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&b.styles.header, excelize.Style{Font: bold, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&b.styles.text, excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&b.styles.num, excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.styles.money, excelize.Style{Font: font, Border: border, CustomNumFmt: &money}},
		{&b.styles.totalText, excelize.Style{Font: bold, Border: border, Alignment: &excelize.Alignment{Horizontal: "center"}}},
		{&b.styles.totalMoney, excelize.Style{Font: bold, Border: border, CustomNumFmt: &money}},
	} {
		id, err := b.f.NewStyle(&s.style)
		if err != nil {
			_ = b.f.Close()
			return nil, fmt.Errorf("xlsx style: %w", err)
		}
		*s.dst = id
	}
	return b, nil
}

// sheet starts a new sheet (ending the one before) with cols, under an optional title and a
// note (e.g. 单位：万元) above the header row.
func (b *xlsxBook) sheet(name, title, note string, cols []xlsxCol) error {
	if err := b.end(); err != nil {
		return err
	}
	b.sheets++
	if b.sheets == 1 {
		if err := b.f.SetSheetName("Sheet1", name); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", name, err)
		}
	} else if _, err := b.f.NewSheet(name); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", name, err)
	}
	size, landscape := 9, "landscape" // 9: A4
	fit := true
	if err := b.f.SetPageLayout(name, &excelize.PageLayoutOptions{Size: &size, Orientation: &landscape, FitToWidth: intPtr(1), FitToHeight: intPtr(0)}); err != nil {
		return fmt.Errorf("xlsx page layout: %w", err)
	}
	if err := b.f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("xlsx sheet props: %w", err)
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("xlsx stream %s: %w", name, err)
	}
	b.sw, b.cols, b.row = sw, cols, 0
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	// The header row (under the title and the note) stays in view and is printed atop every page.
	head := 1
	if title != "" {
		head++
	}
	if note != "" {
		head++
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: head, TopLeftCell: cell(1, head+1), ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: cell(1, head+1), ActiveCell: cell(1, head+1), Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(cols), 1)
	lastCol := last[:len(last)-1]
	if title != "" {
		b.row++
		if err := sw.SetRow(cell(1, b.row), []any{excelize.Cell{StyleID: b.styles.title, Value: title}}, excelize.RowOpts{Height: 30}); err != nil {
			return err
		}
		if err := sw.MergeCell(cell(1, b.row), fmt.Sprintf("%s%d", lastCol, b.row)); err != nil {
			return err
		}
	}
	if note != "" {
		b.row++
		if err := sw.SetRow(cell(1, b.row), []any{excelize.Cell{StyleID: b.styles.note, Value: note}}); err != nil {
			return err
		}
		if err := sw.MergeCell(cell(1, b.row), fmt.Sprintf("%s%d", lastCol, b.row)); err != nil {
			return err
		}
	}
	b.row++
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: b.styles.header, Value: c.header}
	}
	if err := sw.SetRow(cell(1, b.row), header, excelize.RowOpts{Height: 28}); err != nil {
		return err
	}
	if err := b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: name,
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", name, b.row, b.row)}); err != nil {
		return fmt.Errorf("xlsx print titles: %w", err)
	}
	b.first = b.row + 1
	return nil
}

func intPtr(v int) *int { return &v }

func cell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// add writes a data row: values in the columns' order (fen as int64 for amounts; nil leaves a
// cell empty).
func (b *xlsxBook) add(values ...any) error {
	b.row++
	return b.sw.SetRow(cell(1, b.row), b.cells(values, false))
}

// total writes a 合计 row: label in the first column, and for each amount column its total
// (from the server's sums) with a SUM formula over the sheet's rows, so the figure is there
// before and after Excel recalculates.
func (b *xlsxBook) total(label string, totals map[int]int64) error {
	last := b.row
	b.row++
	vals := make([]any, len(b.cols))
	vals[0] = label
	for i, v := range totals {
		vals[i] = v
	}
	cells := b.cells(vals, true)
	for i := range b.cols {
		if _, ok := totals[i]; ok && last >= b.first {
			col := cell(i+1, 1)
			col = col[:len(col)-1]
			c := cells[i].(excelize.Cell)
			c.Formula = fmt.Sprintf("SUM(%s%d:%s%d)", col, b.first, col, last)
			cells[i] = c
		}
	}
	return b.sw.SetRow(cell(1, b.row), cells)
}

func (b *xlsxBook) cells(values []any, total bool) []any {
	out := make([]any, len(b.cols))
	for i, c := range b.cols {
		var v any
		if i < len(values) {
			v = values[i]
		}
		style := b.styles.text
		switch {
		case total && (c.kind == xlsxYuan || c.kind == xlsxWan):
			style = b.styles.totalMoney
		case total:
			style = b.styles.totalText
		case c.kind == xlsxYuan || c.kind == xlsxWan:
			style = b.styles.money
		case c.kind == xlsxInt:
			style = b.styles.num
		}
		if fen, ok := v.(int64); ok {
			switch c.kind {
			case xlsxYuan:
				v = float64(fen) / 100
			case xlsxWan:
				v = float64(fen) / 1_000_000
			}
		}
		out[i] = excelize.Cell{StyleID: style, Value: v}
	}
	return out
}

// end flushes the current sheet.
func (b *xlsxBook) end() error {
	if b.sw == nil {
		return nil
	}
	err := b.sw.Flush()
	b.sw = nil
	return err
}

// write ends the book and writes it to w.
func (b *xlsxBook) write(w io.Writer) error {
	if err := b.end(); err != nil {
		return err
	}
	return b.f.Write(w)
}

func (b *xlsxBook) close() { _ = b.f.Close() }
